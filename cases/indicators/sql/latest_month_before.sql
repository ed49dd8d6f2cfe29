-- The last month (China time, 'YYYY-MM') before :before in which an incident was reported, or
-- NULL: where the dashboard falls back to while this month has no rate yet (a sample whose
-- history ended long ago, the first days of a month). One backward probe of
-- ix_incident_reported_at_id. Not narrowed to a scope, as the heat page's years are not: the
-- months in which the banner has records say nothing about any incident.
SELECT to_char(max(reported_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month
FROM incident
WHERE reported_at < :before
