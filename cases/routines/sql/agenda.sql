-- The village council's agenda (月底议一议): the matters reported from :from to :to (a China
-- calendar month) and held in the village :village (queue area code prefix) inside the
-- caller's scope, oldest first, each with its category and where it stands now.
SELECT i.code, i.status, i.reported_at, c.name AS category_name, q.code AS area_code,
       q.name AS area_name
FROM incident i
JOIN area q ON q.id = i.queue_area_id
JOIN category c ON c.code = i.category_code
WHERE i.reported_at >= :from AND i.reported_at < :to
  AND left(q.code, length(:village)) = :village
  AND {{incident_in_scope(i)}}
ORDER BY i.reported_at, i.code
