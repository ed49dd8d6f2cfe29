-- Possible duplicates of incident :id: same category, within :radius metres and :window.
-- The && prefilter (0.001 degrees is at least 85 m here) lets the GiST index do the work.
-- Scope (as geo.scope): only incidents the reporter may read, held in an area inside
-- :scope_prefix and, for :scope_department, routed to that department.
SELECT o.code, o.reported_at, ST_Distance(o.geom::geography, i.geom::geography) AS distance_m
FROM incident i
JOIN incident o
  ON o.category_code = i.category_code AND o.id <> i.id
 AND o.geom && ST_Expand(i.geom, 0.001)
 AND o.reported_at BETWEEN i.reported_at - :window AND i.reported_at + :window
 AND ST_DWithin(o.geom::geography, i.geom::geography, :radius)
JOIN area q ON q.id = o.queue_area_id
JOIN department d ON d.id = o.department_id
WHERE i.id = :id
  AND (CAST(:scope_prefix AS text) IS NULL OR left(q.code, length(:scope_prefix)) = :scope_prefix)
  AND (CAST(:scope_department AS text) IS NULL OR d.code = :scope_department)
ORDER BY distance_m, o.code
LIMIT 10
