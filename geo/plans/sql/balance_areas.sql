-- The draft areas :refs of plan :plan that a balanced split names (grids, it must check), with
-- what a new grid beside one of them copies (parent, name, kind) and the version an edit checks.
SELECT ref, level, parent_ref, name, kind, version
FROM plan_area
WHERE plan_id = :plan AND ref = ANY(CAST(:refs AS text[]))
ORDER BY ref
