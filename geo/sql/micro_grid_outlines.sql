-- The live micro-grids of generation :g as WKB, in code order (for contiguity weights).
SELECT a.code, ST_AsBinary(a.geom) AS wkb
FROM area a
WHERE a.level = 'micro_grid'
  AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
ORDER BY a.code
