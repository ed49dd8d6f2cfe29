-- End at the base generation :base the areas plan :plan retires; their ids and codes.
{{plan_status}}
UPDATE area a SET generation_high = :base
FROM retired r
WHERE r.id = a.id
RETURNING a.id, a.code
