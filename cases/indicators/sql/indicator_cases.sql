-- The ids of the cases behind one count of indicator_counts (:flag, a column of
-- fragments/indicator_flags: true, or a number above 0) in the one period asked, newest
-- first, a page at a time.
WITH {{indicator_flags()}}
SELECT i.id
FROM f
JOIN incident i ON i.id = f.id
WHERE coalesce(to_jsonb(f) ->> CAST(:flag AS text), 'false') NOT IN ('false', '0')
ORDER BY i.reported_at DESC, i.id DESC
LIMIT :limit OFFSET :offset
