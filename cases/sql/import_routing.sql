-- The routing matrix for many (category, township) pairs at once: the township's override if
-- it has one, else the category's default department; and the category's time limit.
SELECT k.n, coalesce(o.department_id, c.department_id) AS department_id, c.time_limit_hours
FROM unnest(CAST(:categories AS varchar[]), CAST(:townships AS integer[]))
     WITH ORDINALITY AS k(category, township_id, n)
JOIN category c ON c.code = k.category
LEFT JOIN area t ON t.id = k.township_id
LEFT JOIN routing_override o ON o.category_code = c.code AND o.township_code = t.code
