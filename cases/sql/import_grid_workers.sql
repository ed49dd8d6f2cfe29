-- The grid worker responsible for each of many grids: the lowest member id of that kind.
SELECT m.area_id AS grid_id, min(m.id) AS member_id
FROM member m
WHERE m.kind = 'grid_worker' AND m.area_id = ANY(CAST(:grids AS integer[]))
GROUP BY m.area_id
