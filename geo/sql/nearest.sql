-- The live micro-grid of generation :g nearest to the point, with the geodesic distance in metres.
-- The index orders by planar degrees, which at 40°N shrinks east-west distances by a quarter:
-- take the nearest few candidates by index, then rank them geodesically.
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS geom),
candidates AS (
    SELECT a.id, a.code, a.name, a.geom
    FROM area a, p
    WHERE a.level = 'micro_grid'
      AND {{live(a)}}
    ORDER BY a.geom <-> p.geom
    LIMIT 16
)
SELECT c.id, c.code, c.name, ST_Distance(c.geom::geography, p.geom::geography) AS distance_m
FROM candidates c, p
ORDER BY distance_m, c.code
LIMIT 1
