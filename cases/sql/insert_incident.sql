-- The incident and the first entry of its trail (by :actor), in one statement (and so one
-- transaction).
WITH new AS (
    INSERT INTO incident (
        code, category_code, description, occurred_at, datum, raw_lon, raw_lat, geom,
        reporter_name, reporter_phone, reporter_id_number, media, status, generation_id,
        micro_grid_id, grid_id, village_id, township_id, queue_area_id, assignment,
        assignment_distance_m, member_id, department_id, deadline_at, source, idempotency_key,
        urgent, step_due_at)
    SELECT :code, c.code, :description, :occurred_at, :datum, :raw_lon, :raw_lat,
           ST_SetSRID(ST_MakePoint(:lon, :lat), 4490),
           :reporter_name, :reporter_phone, :reporter_id_number, CAST(:media AS jsonb),
           'reported', :generation, :micro_grid, :grid, :village, :township, :queue,
           :assignment, :distance, :member, :department,
           now() + make_interval(hours => c.time_limit_hours), :source, :key,
           :urgent, :step_due_at
    FROM category c WHERE c.code = :category
    RETURNING id, reported_at
)
INSERT INTO incident_event (incident_id, at, actor, kind, to_status, to_area_id, to_member_id,
                            to_department_id, reason, data)
SELECT new.id, new.reported_at, :actor, 'reported', 'reported', :queue, :member, :department,
       '上报', CAST(:event_data AS jsonb)
FROM new
RETURNING incident_id
