-- The micro-grids of plan :plan under the draft grids :grids, each with its grid and that
-- grid's parent (the village), and the neighbours it shares a boundary of positive length
-- with, that length in metres: the graph a balanced split partitions (geo/partition.py).
-- Two micro-grids touching at a point only are not neighbours (their intersection holds no
-- line). One row per micro-grid without a neighbour after it (neighbour NULL), else one per
-- pair, the lower ref first.
SELECT a.ref, a.parent_ref AS grid, g.parent_ref AS village, b.ref AS neighbour,
       ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography)
         AS length_m
FROM plan_area a
JOIN plan_area g ON g.plan_id = a.plan_id AND g.ref = a.parent_ref
LEFT JOIN plan_area b
  ON b.plan_id = a.plan_id AND b.level = 'micro_grid' AND a.ref < b.ref
 AND b.parent_ref = ANY(CAST(:grids AS text[])) AND ST_Intersects(a.geom, b.geom)
WHERE a.plan_id = :plan AND a.level = 'micro_grid' AND a.parent_ref = ANY(CAST(:grids AS text[]))
ORDER BY a.ref, b.ref
