-- The member :id (clear name and phone: never send them as they are), when the area they
-- serve lies inside the caller's scope.
SELECT m.id, m.kind, m.name, m.phone, m.title, m.area_id, a.code AS area_code,
       d.code AS department_code, d.name AS department_name
FROM member m
JOIN area a ON a.id = m.area_id
LEFT JOIN department d ON d.id = m.department_id
WHERE m.id = :id AND {{area_in_scope(a.code)}}
