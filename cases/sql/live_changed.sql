-- What the live map hears of the re-assigned incidents :ids (cases/live.py, ``changed``): each
-- one's status, point, micro-grid, queue area and department now, and the codes of the queue
-- area and department it came from (:from_areas, :from_departments, one per id).
SELECT i.code, i.status, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, m.code AS micro_grid,
       q.code AS queue_area, d.code AS department,
       fq.code AS from_queue_area, fd.code AS from_department
FROM unnest(CAST(:ids AS bigint[]), CAST(:from_areas AS integer[]),
            CAST(:from_departments AS integer[])) WITH ORDINALITY AS k(id, from_area, from_department, n)
JOIN incident i ON i.id = k.id
LEFT JOIN area m ON m.id = i.micro_grid_id
JOIN area q ON q.id = i.queue_area_id
JOIN department d ON d.id = i.department_id
JOIN area fq ON fq.id = k.from_area
JOIN department fd ON fd.id = k.from_department
ORDER BY k.n
