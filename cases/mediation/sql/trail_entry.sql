-- A step of the ladder as an entry of the case's trail (kind 'mediation'): what happened on
-- which rung, never who the parties are or what they said.
INSERT INTO incident_event (incident_id, at, actor, kind, action, reason, data)
VALUES (:incident_id, :at, :actor, 'mediation', :action, :reason, CAST(:data AS jsonb))
