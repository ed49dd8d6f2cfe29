-- The first and last calendar year, in China time, in which an incident was reported (both
-- NULL when none was), for the periods the heat page offers (geo.periods). min and max are
-- each one probe of ix_incident_reported_at_id. Not narrowed to a scope: the years in which
-- the banner has records say nothing about any incident.
SELECT CAST(extract(year FROM min(reported_at) AT TIME ZONE 'Asia/Shanghai') AS int) AS first,
       CAST(extract(year FROM max(reported_at) AT TIME ZONE 'Asia/Shanghai') AS int) AS last
FROM incident
