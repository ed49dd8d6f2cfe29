-- The case :code a whistle is blown on, when it lies inside the caller's scope (else no row):
-- its area (the queue area: an assigned case's micro-grid), its department and township (the
-- routing matrix's suggestion), its point, and the transaction's time.
SELECT i.id, i.code, i.status, i.category_code, q.code AS area_code,
       d.code AS department_code, t.code AS township_code,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, now() AS now
FROM incident i
JOIN area q ON q.id = i.queue_area_id
JOIN department d ON d.id = i.department_id
LEFT JOIN area t ON t.id = i.township_id
WHERE i.code = :code AND {{incident_in_scope(i)}}
