-- A check-in by id, or the one a retry key already recorded.
SELECT c.id, c.at, c.accuracy_m, c.distance_m, c.judgement, ST_X(c.geom) AS lon,
       ST_Y(c.geom) AS lat, d.code AS department
FROM whistle_checkin c
JOIN department d ON d.id = c.department_id
WHERE (c.id = CAST(:id AS bigint))
   OR (CAST(:id AS bigint) IS NULL AND c.whistle_id = :whistle_id
       AND c.department_id = :department_id AND c.retry_key = :retry_key)
