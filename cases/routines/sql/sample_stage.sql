-- Staging tables for the sample's routines (dropped at commit).
CREATE TEMPORARY TABLE contact_stage (
    id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz, member_id int, channel text,
    household_code text, needs text
) ON COMMIT DROP;
CREATE TEMPORARY TABLE meeting_stage (
    kind text, area_code text, at timestamptz, attendees text, issues text, decisions text
) ON COMMIT DROP
