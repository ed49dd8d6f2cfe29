-- Who gets an incident of category :category placed in grid :grid (null for a queue) of
-- township :township: the grid's first worker, and the department the township's override
-- names, else the category's (null when neither does).
SELECT (SELECT id FROM member WHERE area_id = :grid AND kind = 'grid_worker'
        ORDER BY id LIMIT 1) AS member_id,
       (SELECT coalesce(o.department_id, c.department_id)
        FROM category c
        LEFT JOIN routing_override o ON o.category_code = c.code AND o.township_code = :township
        WHERE c.code = :category) AS department_id
