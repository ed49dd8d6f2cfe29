-- @fragment placement(p)
-- The CTEs that place the point of the one-row CTE {p} (columns geom, a CGCS2000 point, and
-- g, a generation), ending in placed(how, id, code, distance_m, tied): the covering
-- micro-grids (all of them, lowest code first), else the nearest micro-grid within :limit_m
-- metres, else the covering township (its queue), else the queue of the nearest county-level
-- unit (the service may hold several: Dalad, Haibowan). No row: the generation has no banner.
-- Written once: geo/sql/place.sql places a point alone, cases/sql/intake_start.sql inside a
-- report's first statement. Each use joins {p}, so the generation may be computed by the
-- caller's statement; the live(a) test is inlined into each use's index scan.
covering AS (
    SELECT a.id, a.code FROM area a, {p}
    WHERE {{live(a, {p}.g)}} AND a.level = 'micro_grid' AND ST_Intersects(a.geom, {p}.geom)
),
nearest AS (
    SELECT c.id, c.code, ST_Distance(c.geom::geography, {p}.geom::geography) AS distance_m
    FROM (
        SELECT a.id, a.code, a.geom FROM area a, {p}
        WHERE {{live(a, {p}.g)}} AND a.level = 'micro_grid'
          AND NOT EXISTS (SELECT 1 FROM covering)
        ORDER BY a.geom <-> {p}.geom
        LIMIT 16
    ) c, {p}
    ORDER BY distance_m, c.code
    LIMIT 1
),
queue AS (
    SELECT a.id, a.code, a.level FROM area a, {p}
    WHERE {{live(a, {p}.g)}} AND a.level IN ('township', 'banner')
      AND NOT EXISTS (SELECT 1 FROM covering)
      AND NOT EXISTS (SELECT 1 FROM nearest WHERE distance_m <= :limit_m)
      AND (a.level = 'banner' OR ST_Intersects(a.geom, {p}.geom))
    ORDER BY a.level = 'banner', a.geom <-> {p}.geom, a.code
    LIMIT 1
),
placed AS (
    SELECT 'covered' AS how, id, code, NULL::float8 AS distance_m,
           (SELECT array_agg(code ORDER BY code) FROM covering) AS tied
    FROM (SELECT * FROM covering ORDER BY code LIMIT 1) c
    UNION ALL
    SELECT 'nearest', id, code, distance_m, NULL FROM nearest WHERE distance_m <= :limit_m
    UNION ALL
    SELECT 'queue', q.id, q.code, (SELECT distance_m FROM nearest), NULL FROM queue q
)
