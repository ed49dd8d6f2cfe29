-- What the live map hears of re-assigned incidents (cases/live.py, ``changed``): each
-- one's status, point, micro-grid, queue area and department now, and the codes of the queue
-- area and department it came from: :moved is a JSON array of [id, from area id, from
-- department id] (JSON rather than arrays: thousands of values are adapted faster).
SELECT i.code, i.status, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, m.code AS micro_grid,
       q.code AS queue_area, d.code AS department,
       fq.code AS from_queue_area, fd.code AS from_department
FROM json_array_elements(CAST(:moved AS json)) WITH ORDINALITY AS k(m, n)
JOIN incident i ON i.id = CAST(k.m ->> 0 AS bigint)
LEFT JOIN area m ON m.id = i.micro_grid_id
JOIN area q ON q.id = i.queue_area_id
JOIN department d ON d.id = i.department_id
JOIN area fq ON fq.id = CAST(k.m ->> 1 AS integer)
JOIN department fd ON fd.id = CAST(k.m ->> 2 AS integer)
ORDER BY k.n
