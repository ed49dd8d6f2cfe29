-- The live micro-grids of generation :g inside the scope (fragment area_in_scope)
-- as WKB, in code order (for contiguity weights).
SELECT a.code, ST_AsBinary(a.geom) AS wkb
FROM area a
WHERE a.level = 'micro_grid'
  AND {{live(a)}}
  AND {{area_in_scope(a.code)}}
ORDER BY a.code
