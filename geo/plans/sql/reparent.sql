-- Give each draft area of plan :plan whose parent is one of :from_refs (or whose ref is one of
-- :refs) the area among :to_refs
-- it overlaps most (ties: lowest ref), else the nearest one; bump the version of those whose
-- parent changes. Returns the refs that moved.
WITH best AS (
    SELECT c.id, coalesce(
        (SELECT p.ref FROM plan_area p
         WHERE p.plan_id = c.plan_id AND p.ref = ANY(CAST(:to_refs AS text[]))
           AND ST_Intersects(p.geom, c.geom)
         ORDER BY ST_Area(ST_Intersection(c.geom, p.geom)) DESC, p.ref
         LIMIT 1),
        (SELECT p.ref FROM plan_area p
         WHERE p.plan_id = c.plan_id AND p.ref = ANY(CAST(:to_refs AS text[]))
         ORDER BY p.geom <-> c.geom, p.ref
         LIMIT 1)) AS ref
    FROM plan_area c
    WHERE c.plan_id = :plan
      AND (c.parent_ref = ANY(CAST(:from_refs AS text[])) OR c.ref = ANY(CAST(:refs AS text[])))
)
UPDATE plan_area c SET parent_ref = best.ref, version = c.version + 1
FROM best
WHERE c.id = best.id AND best.ref IS NOT NULL AND c.parent_ref <> best.ref
RETURNING c.ref
