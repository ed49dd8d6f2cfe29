-- An unchanged draft area of plan :plan becomes the area row it copies (which continues).
{{plan_status}}
UPDATE plan_area pa SET area_id = pa.source_area_id
FROM status st
WHERE st.id = pa.id AND st.status = 'unchanged'
