-- The working days asked for by the latest delay application on incident :id.
SELECT (data ->> 'delay_days')::numeric AS days
FROM incident_event
WHERE incident_id = :id AND action = 'apply_delay'
ORDER BY id DESC
LIMIT 1
