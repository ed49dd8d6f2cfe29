-- Possible duplicates of incident :id: same category, within :radius metres and :window.
-- The && prefilter (0.001 degrees is at least 85 m here) lets the GiST index do the work.
-- Scope (geo.scope): only incidents the reporter may read.
SELECT o.code, o.reported_at, ST_Distance(o.geom::geography, i.geom::geography) AS distance_m
FROM incident i
JOIN incident o
  ON o.category_code = i.category_code AND o.id <> i.id
 AND o.geom && ST_Expand(i.geom, 0.001)
 AND o.reported_at BETWEEN i.reported_at - :window AND i.reported_at + :window
 AND ST_DWithin(o.geom::geography, i.geom::geography, :radius)
WHERE i.id = :id
  AND {{incident_in_scope(o)}}
ORDER BY distance_m, o.code
LIMIT 10
