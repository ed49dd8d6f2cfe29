-- The most frequent problem categories (major categories, 2-digit codes) of the cases
-- reported in [:start, :end), held in :area, held by :department at :end (as the trail says:
-- fragments/held_by), inside the caller's scope; ties by code.
SELECT mc.code, mc.name, count(*) AS n
FROM incident i
JOIN category c ON c.code = i.category_code
JOIN category mc ON mc.code = coalesce(c.parent_code, c.code)
JOIN area q ON q.id = i.queue_area_id
WHERE i.reported_at >= :start AND i.reported_at < :end
  AND (CAST(:area AS text) IS NULL OR left(q.code, length(:area)) = :area)
  AND (CAST(:department AS text) IS NULL OR {{held_by(i.id, :end)}} = :department)
  AND {{incident_in_scope(i)}}
GROUP BY mc.code, mc.name
ORDER BY count(*) DESC, mc.code
LIMIT :top
