-- For the points of temp table bulk_points that no micro-grid covers (the rules of place.sql):
-- the nearest live micro-grid, ranked geodesically among the index's 16 nearest candidates
-- (planar degrees shrink east-west distances by a quarter at 40°N), and, when it is farther
-- than :limit_m metres or there is none, the queue: the covering township, else the nearest
-- county-level unit (the service may hold several: Dalad, Haibowan).
SELECT p.i, n.id AS nearest_id, n.distance_m, q.id AS queue_id, q.level = 'township' AS township
FROM bulk_points p
LEFT JOIN LATERAL (
    SELECT c.id, ST_Distance(c.geom::geography, p.geom::geography) AS distance_m
    FROM (SELECT m.id, m.code, m.geom FROM bulk_micro m ORDER BY m.geom <-> p.geom LIMIT 16) c
    ORDER BY distance_m, c.code
    LIMIT 1
) n ON true
LEFT JOIN LATERAL (
    SELECT a.id, a.level
    FROM area a
    WHERE a.level IN ('township', 'banner')
      AND {{live(a)}}
      AND (n.distance_m IS NULL OR n.distance_m > :limit_m)
      AND (a.level = 'banner' OR ST_Intersects(a.geom, p.geom))
    ORDER BY a.level = 'banner', a.geom <-> p.geom, a.code
    LIMIT 1
) q ON true
ORDER BY p.i
