-- The live micro-grids of generation :g in code order, with their grid, village and township,
-- and (when :with_geom) their boundaries as WKB: what set-wise placement needs, in one read.
SELECT m.id, g.id AS grid_id, v.id AS village_id, t.id AS township_id,
       CASE WHEN :with_geom THEN ST_AsBinary(m.geom) END AS wkb
FROM area m
JOIN area g ON g.id = m.parent_id
JOIN area v ON v.id = g.parent_id
JOIN area t ON t.id = v.parent_id
WHERE m.level = 'micro_grid'
  AND {{live(m)}}
ORDER BY m.code
