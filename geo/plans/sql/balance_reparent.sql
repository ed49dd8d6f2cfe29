-- The draft areas :refs of plan :plan go under the draft area :to; their versions go up.
UPDATE plan_area
SET parent_ref = :to, version = version + 1
WHERE plan_id = :plan AND ref = ANY(CAST(:refs AS text[])) AND parent_ref <> :to
