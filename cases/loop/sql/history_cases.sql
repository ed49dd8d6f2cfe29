-- The incidents whose trails the sample loader writes (cases.loop.history), by code: what the
-- replay needs (category, urgency, sensitivity, report time, the importer's deadline) and what
-- the trail entries carry (desk, point).
SELECT i.id, i.code, i.category_code, i.urgent, c.sensitive, i.reported_at, i.deadline_at,
       i.department_id, ST_X(i.geom) AS x, ST_Y(i.geom) AS y
FROM incident i
JOIN category c ON c.code = i.category_code
WHERE i.code = ANY(CAST(:codes AS text[]))
