-- The case :code with the area holding it and whether department :department held it at
-- any time (routed to it now, or dispatched to it on the trail).
SELECT i.id, q.code AS queue_code, d.id AS department_id,
       (i.department_id = d.id OR EXISTS (
            SELECT 1 FROM incident_event e
            WHERE e.incident_id = i.id AND e.to_department_id = d.id)) AS held
FROM incident i
JOIN area q ON q.id = i.queue_area_id
LEFT JOIN department d ON d.code = :department
WHERE i.code = :code
