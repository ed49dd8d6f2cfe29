-- The draft area :ref of plan :plan becomes the union of its children (ST_Union keeps their
-- vertices, so the edges it shares with a neighbour built the same way match vertex for
-- vertex); its version goes up. Its new version. An area with no children keeps its shape.
UPDATE plan_area p
SET geom = coalesce((SELECT ST_Multi(ST_Union(c.geom)) FROM plan_area c
                     WHERE c.plan_id = p.plan_id AND c.parent_ref = p.ref), p.geom),
    version = p.version + 1
WHERE p.plan_id = :plan AND p.ref = :ref
RETURNING p.version
