-- Members serving any of the areas :area_ids, with their department.
SELECT m.id, m.kind, m.name, m.phone, m.title, a.code AS area_code,
       d.code AS department_code, d.name AS department_name
FROM member m
JOIN area a ON a.id = m.area_id
LEFT JOIN department d ON d.id = m.department_id
WHERE m.area_id = ANY(:area_ids)
ORDER BY m.kind, m.id
