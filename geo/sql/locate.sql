-- Live micro-grids of generation :g inside the scope (:scope_prefix, as geo.scope.area_sql)
-- that cover the point (boundary included), lowest code first.
-- ST_Intersects on a point is ST_Covers, and uses the GiST index at its best.
SELECT a.id, a.code
FROM area a
WHERE a.level = 'micro_grid'
  AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
  AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))
  AND (CAST(:scope_prefix AS text) IS NULL
       OR left(a.code, length(:scope_prefix)) = :scope_prefix)
ORDER BY a.code
