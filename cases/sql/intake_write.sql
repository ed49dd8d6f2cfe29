-- The second of a report's two statements (cases/intake.py): write the incident :code, the
-- first entry of its trail (by :actor), the audit row (the audit_ parameters:
-- access.audit.values) and the answer :body against the key :key, and queue the live map's
-- notification :payload on :channel (PostgreSQL sends it only if the transaction commits).
-- Every value was decided by intake_start.sql and the Python between the two; the deadlines
-- come in as parameters (:deadline_at, :step_due_at), and so do the columns a new incident
-- starts with (cases/intake.py NEW: version, level, card ...), so that the answer holds
-- exactly what is written. Every CTE runs whether or not the final SELECT reads it.
WITH new AS (
    INSERT INTO incident (
        code, category_code, description, occurred_at, datum, raw_lon, raw_lat, geom,
        reporter_name, reporter_phone, reporter_id_number, media, status, generation_id,
        micro_grid_id, grid_id, village_id, township_id, queue_area_id, assignment,
        assignment_distance_m, member_id, department_id, deadline_at, source, idempotency_key,
        urgent, step_due_at, reported_at, version, level, card, delay_state, transfers,
        reopened_count)
    VALUES (
        :code, :category, :description, :occurred_at, :datum, :raw_lon, :raw_lat,
        ST_SetSRID(ST_MakePoint(:lon, :lat), 4490),
        :reporter_name, :reporter_phone, :reporter_id_number, CAST(:media AS jsonb),
        'reported', :generation, :micro_grid, :grid, :village, :township, :queue,
        :assignment, :distance, :member, :department, :deadline_at, :source, :key,
        :urgent, :step_due_at, now(), :version, :level, :card, :delay_state, :transfers,
        :reopened_count)
    RETURNING id, reported_at
),
trail AS (
    INSERT INTO incident_event (incident_id, incident_reported_at, at, actor, kind, to_status,
                                to_area_id, to_member_id, to_department_id, reason, data)
    SELECT new.id, new.reported_at, new.reported_at, :actor, 'reported', 'reported', :queue,
           :member, :department, '上报', CAST(:event_data AS jsonb)
    FROM new
),
audited AS (
    INSERT INTO audit_log (actor, role, action, object_type, object_id, before, after, reason,
                           client)
    VALUES (:audit_actor, :audit_role, :audit_action, :audit_type, :audit_id,
            CAST(:audit_before AS jsonb), CAST(:audit_after AS jsonb), :audit_reason,
            :audit_client)
),
stored AS (
    UPDATE idempotency_key k SET status_code = 201, response = CAST(:body AS jsonb),
                                 incident_id = new.id, incident_reported_at = new.reported_at
    FROM new WHERE k.key = :key
)
SELECT new.id, pg_notify(:channel, :payload) FROM new
