-- The draft areas :refs of plan :plan (the children to move and their new parent), locked:
-- their level, parent and version.
SELECT ref, level, parent_ref, version
FROM plan_area
WHERE plan_id = :plan AND ref = ANY(CAST(:refs AS text[]))
ORDER BY ref
FOR UPDATE
