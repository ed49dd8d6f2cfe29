-- The areas holding a CGCS2000 point in generation :g, in one round trip (the rule is the
-- fragment placement: covering micro-grids, else the nearest within :limit_m, else a queue).
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS geom, CAST(:g AS integer) AS g),
{{placement(p)}}
SELECT how, id, code, distance_m, tied FROM placed
