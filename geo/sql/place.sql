-- The areas holding a CGCS2000 point in generation :g, in one round trip:
-- the covering micro-grids (all of them, lowest code first), else the nearest micro-grid
-- within :limit_m metres, else the covering township (its queue), else the queue of the
-- nearest county-level unit (the service may hold several: Dalad, Haibowan).
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS geom),
-- NOT MATERIALIZED: used three times, it would otherwise be computed in full (every live
-- area, 3.5 ms) instead of being folded into each use's index scan (0.1 ms).
live AS NOT MATERIALIZED (
    SELECT a.* FROM area a
    WHERE {{live(a)}}
),
covering AS (
    SELECT a.id, a.code FROM live a, p
    WHERE a.level = 'micro_grid' AND ST_Intersects(a.geom, p.geom)
),
nearest AS (
    SELECT c.id, c.code, ST_Distance(c.geom::geography, p.geom::geography) AS distance_m
    FROM (
        SELECT a.id, a.code, a.geom FROM live a, p
        WHERE a.level = 'micro_grid' AND NOT EXISTS (SELECT 1 FROM covering)
        ORDER BY a.geom <-> p.geom
        LIMIT 16
    ) c, p
    ORDER BY distance_m, c.code
    LIMIT 1
),
queue AS (
    SELECT a.id, a.code, a.level FROM live a, p
    WHERE a.level IN ('township', 'banner')
      AND NOT EXISTS (SELECT 1 FROM covering)
      AND NOT EXISTS (SELECT 1 FROM nearest WHERE distance_m <= :limit_m)
      AND (a.level = 'banner' OR ST_Intersects(a.geom, p.geom))
    ORDER BY a.level = 'banner', a.geom <-> p.geom, a.code
    LIMIT 1
)
SELECT 'covered' AS how, id, code, NULL::float8 AS distance_m,
       (SELECT array_agg(code ORDER BY code) FROM covering) AS tied
FROM (SELECT * FROM covering ORDER BY code LIMIT 1) c
UNION ALL
SELECT 'nearest', id, code, distance_m, NULL FROM nearest WHERE distance_m <= :limit_m
UNION ALL
SELECT 'queue', q.id, q.code, (SELECT distance_m FROM nearest), NULL FROM queue q
