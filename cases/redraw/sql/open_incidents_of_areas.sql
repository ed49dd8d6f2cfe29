-- Open incidents held by any of the areas :ids (at whatever level they were recorded).
SELECT i.id, i.code, i.category_code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       i.queue_area_id, i.member_id, i.department_id, i.reported_at
FROM incident i
WHERE i.status <> ALL(CAST(:closed AS text[]))
  AND (i.queue_area_id = ANY(:ids) OR i.micro_grid_id = ANY(:ids) OR i.grid_id = ANY(:ids)
       OR i.village_id = ANY(:ids) OR i.township_id = ANY(:ids))
ORDER BY i.id
FOR UPDATE OF i
