-- The draft area :ref of plan :plan and every area under it, locked, coarsest first: what a
-- cut that goes through the children divides.
WITH RECURSIVE tree AS (
    SELECT pa.id, 0 AS depth FROM plan_area pa WHERE pa.plan_id = :plan AND pa.ref = :ref
    UNION ALL
    SELECT c.id, t.depth + 1
    FROM tree t JOIN plan_area p ON p.id = t.id
    JOIN plan_area c ON c.plan_id = p.plan_id AND c.parent_ref = p.ref
)
SELECT pa.id, pa.ref, pa.name, pa.level, pa.kind, pa.parent_ref, t.depth,
       ST_AsBinary(pa.geom) AS wkb
FROM tree t JOIN plan_area pa ON pa.id = t.id
ORDER BY t.depth, pa.ref
FOR UPDATE OF pa
