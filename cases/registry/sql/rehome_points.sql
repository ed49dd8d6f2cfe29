-- The houses, facilities and organisations filed under micro-grids :ids (retired by a
-- publication), with their points, to be placed again.
SELECT 'house' AS what, id, ST_X(geom) AS lon, ST_Y(geom) AS lat, micro_grid_id
FROM house WHERE micro_grid_id = ANY(CAST(:ids AS bigint[]))
UNION ALL
SELECT 'facility', id, ST_X(geom), ST_Y(geom), micro_grid_id
FROM facility WHERE micro_grid_id = ANY(CAST(:ids AS bigint[]))
UNION ALL
SELECT 'organisation', id, ST_X(geom), ST_Y(geom), micro_grid_id
FROM organisation WHERE micro_grid_id = ANY(CAST(:ids AS bigint[])) AND geom IS NOT NULL
ORDER BY what, id
