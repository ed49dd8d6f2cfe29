-- An action's entry in the append-only trail: who, when, where, from → to, why, with what;
-- the deadline of the step it ended (:due_at, the case's step deadline before it) and the
-- handling deadline after it (:deadline_at), so the indicators' "on time" reads the trail.
INSERT INTO incident_event (incident_id, at, actor, kind, action, from_status, to_status,
                            from_department_id, to_department_id, reason, data, where_geom,
                            attachments, due_at, deadline_at)
VALUES (:id, :at, :actor, 'action', :action, :from_status, :to_status, :from_department,
        :to_department, :reason, CAST(:data AS jsonb),
        ST_SetSRID(ST_MakePoint(CAST(:lon AS double precision), CAST(:lat AS double precision)),
                   4490),
        CAST(:attachments AS jsonb), :due_at, :deadline_at)
