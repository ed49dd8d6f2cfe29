-- @fragment incident_view()
-- Incidents as clients see them (personal data still raw: cases.views masks it); the
-- statements that use it add their WHERE.
SELECT i.id, i.code, i.status, i.category_code, c.name AS category_name, c.parent_code AS major_code,
       mc.name AS major_name, c.sensitive, i.description, i.occurred_at, i.reported_at,
       i.deadline_at, i.datum, i.raw_lon, i.raw_lat, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       i.reporter_name, i.reporter_phone, i.reporter_id_number, i.media, i.generation_id, i.assignment,
       i.assignment_distance_m, i.source,
       i.version, i.urgent, i.level, i.closed_level, i.card, i.delay_state, i.step_due_at,
       i.transfers, i.reopened_count, i.evaluation,
       q.code AS queue_code, q.name AS queue_name, q.level AS queue_level,
       m.id AS member_id, m.name AS member_name, m.phone AS member_phone, m.kind AS member_kind,
       d.code AS department_code, d.name AS department_name,
       e.data -> 'tied_codes' AS tied_codes
FROM incident i
JOIN category c ON c.code = i.category_code
LEFT JOIN category mc ON mc.code = c.parent_code
JOIN area q ON q.id = i.queue_area_id
LEFT JOIN member m ON m.id = i.member_id
JOIN department d ON d.id = i.department_id
LEFT JOIN LATERAL (
    SELECT data FROM incident_event WHERE incident_id = i.id ORDER BY id LIMIT 1
) e ON true
