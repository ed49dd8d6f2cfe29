-- Everything an action writes on incident :id (reported at :reported_at, its partition key),
-- in one statement (and so one round trip): the new status and attributes one version up,
-- the trail entry (who, when, where, from -> to, why, with what; the deadline of the step it
-- ended, :due_at, and the handling deadline after it, :deadline_at, so the indicators' "on
-- time" reads the trail), the audit row, and the live event :payload queued on :channel
-- (PostgreSQL sends it on commit). Returns the new version.
WITH moved AS (
    UPDATE incident
    SET status = :status, version = version + 1, department_id = :department_id,
        level = :level, closed_level = :closed_level, card = :card, delay_state = :delay_state,
        handling_started_at = :handling_started_at, hung_since = :hung_since,
        step_due_at = :step_due_at, deadline_at = :deadline_at, transfers = :transfers,
        reopened_count = :reopened_count, evaluation = :evaluation
    WHERE id = :id AND reported_at = :reported_at
    RETURNING version
),
trail AS (
    INSERT INTO incident_event (incident_id, incident_reported_at, at, actor, kind, action,
                                from_status, to_status, from_department_id, to_department_id,
                                reason, data, where_geom, attachments, due_at, deadline_at)
    VALUES (:id, :reported_at, :at, :actor, 'action', :action, :from_status, :to_status,
            :from_department, :to_department, :reason, CAST(:data AS jsonb),
            ST_SetSRID(ST_MakePoint(CAST(:lon AS double precision),
                                    CAST(:lat AS double precision)), 4490),
            CAST(:attachments AS jsonb), :due_at, :deadline_at)
),
audited AS (
    INSERT INTO audit_log (actor, role, action, object_type, object_id, before, after, reason,
                           client)
    VALUES (:actor, :role, :audit_action, 'incident', :code, CAST(:before AS jsonb),
            CAST(:after AS jsonb), :reason, :client)
)
SELECT (SELECT version FROM moved) AS version, pg_notify(:channel, :payload) IS NULL AS queued
