-- The actions and cards on incident :id, oldest first (the trail the loop replays).
SELECT e.at, e.actor, e.kind, e.action, e.from_status, e.to_status, e.reason, e.data,
       e.attachments, ST_X(e.where_geom) AS lon, ST_Y(e.where_geom) AS lat
FROM incident_event e
WHERE e.incident_id = :id AND e.kind IN ('action', 'supervision')
ORDER BY e.id
