-- Published notices in the caller's scope (optionally one village), newest first.
SELECT n.id, n.village_code, n.title, n.published_on, n.until_on, n.summary
FROM cobuild_notice n
WHERE {{area_in_scope(n.village_code)}}
  AND (CAST(:village AS text) IS NULL OR n.village_code = :village)
ORDER BY n.published_on DESC, n.id DESC
LIMIT 100
