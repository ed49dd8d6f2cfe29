-- How many children each of the draft areas :parents of plan :plan keeps when the areas :refs
-- leave it (a parent left with none is absent).
SELECT parent_ref, count(*) AS n
FROM plan_area
WHERE plan_id = :plan AND parent_ref = ANY(CAST(:parents AS text[]))
  AND ref <> ALL(CAST(:refs AS text[]))
GROUP BY parent_ref
