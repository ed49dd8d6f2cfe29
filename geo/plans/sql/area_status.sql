-- Every draft area of plan :plan with its level, parent and status.
{{plan_status}}
SELECT pa.ref, pa.level, pa.parent_ref, st.status
FROM plan_area pa JOIN status st ON st.id = pa.id
WHERE pa.plan_id = :plan
