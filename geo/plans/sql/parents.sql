-- Every draft area of plan :plan that can hold others (all but micro-grids): ref, level and
-- parent, to walk from a parent up to the scope.
SELECT ref, level, parent_ref
FROM plan_area
WHERE plan_id = :plan AND level <> 'micro_grid'
