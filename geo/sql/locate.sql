-- Live micro-grids of generation :g that cover the point (boundary included), lowest code first.
-- ST_Intersects on a point is ST_Covers, and uses the GiST index at its best.
SELECT a.id, a.code
FROM area a
WHERE a.level = 'micro_grid'
  AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
  AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))
ORDER BY a.code
