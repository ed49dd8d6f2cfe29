-- The micro-grids of plan :plan under the draft grids :grids, each with its grid and that
-- grid's parent (the village), and the neighbours it shares a boundary of positive length
-- with, that length in metres: the graph a balanced split partitions (geo/partition.py).
-- Two micro-grids touching at a point only are not neighbours (their intersection holds no
-- line). One row per micro-grid without a neighbour after it (neighbour NULL), else one per
-- pair, the lower ref first.
WITH micro AS MATERIALIZED (
    SELECT m.ref, m.parent_ref AS grid, g.parent_ref AS village, m.geom
    FROM plan_area m
    JOIN plan_area g ON g.plan_id = m.plan_id AND g.ref = m.parent_ref
    WHERE m.plan_id = :plan AND m.level = 'micro_grid'
      AND m.parent_ref = ANY(CAST(:grids AS text[]))
)
SELECT a.ref, a.grid, a.village, b.ref AS neighbour,
       ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography)
         AS length_m
FROM micro a
LEFT JOIN micro b ON a.ref < b.ref AND ST_Intersects(a.geom, b.geom)
ORDER BY a.ref, b.ref
