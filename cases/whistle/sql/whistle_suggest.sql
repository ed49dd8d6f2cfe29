-- 协办 suggestions from the routing matrix: the departments the case's township routes the
-- case's sibling categories (same major class) to, its override first, else the category's
-- own department; not the 主办 :lead; at most :n, by code.
SELECT DISTINCT d.code
FROM category c
JOIN category s ON s.parent_code = c.parent_code
LEFT JOIN routing_override o ON o.category_code = s.code AND o.township_code = :township
JOIN department d ON d.id = coalesce(o.department_id, s.department_id)
WHERE c.code = :category AND d.code <> :lead
ORDER BY d.code
LIMIT :n
