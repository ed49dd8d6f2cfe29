-- Staging tables for the sample's routines (dropped at commit).
CREATE TEMPORARY TABLE contact_stage (
    id bigint, at timestamptz, member_id int, channel text, household_code text, needs text,
    lon float8, lat float8
) ON COMMIT DROP;
CREATE TEMPORARY TABLE meeting_stage (
    kind text, area_code text, at timestamptz, attendees text, issues text, decisions text
) ON COMMIT DROP
