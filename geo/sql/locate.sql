-- Live micro-grids of generation :g inside the scope (fragment area_in_scope)
-- that cover the point (boundary included), lowest code first.
-- ST_Intersects on a point is ST_Covers, and uses the GiST index at its best.
SELECT a.id, a.code
FROM area a
WHERE a.level = 'micro_grid'
  AND {{live(a)}}
  AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))
  AND {{area_in_scope(a.code)}}
ORDER BY a.code
