-- The live micro-grids of generation :g inside the scope (:scope_prefix, as geo.scope.area_sql)
-- as WKB, in code order (for contiguity weights).
SELECT a.code, ST_AsBinary(a.geom) AS wkb
FROM area a
WHERE a.level = 'micro_grid'
  AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
  AND (CAST(:scope_prefix AS text) IS NULL
       OR left(a.code, length(:scope_prefix)) = :scope_prefix)
ORDER BY a.code
