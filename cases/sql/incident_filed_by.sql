-- The incident :code if the account :reporter (a username) filed it: its first trail entry
-- ('reported') names the reporter. Lets a reporter read what they filed outside their scope.
SELECT i.id FROM incident i
JOIN incident_event e ON e.incident_id = i.id AND e.kind = 'reported'
WHERE i.code = :code AND e.actor = :reporter
