-- Replace person :id's tags with :tags (recorded from today for new ones).
WITH gone AS (
    DELETE FROM person_tag WHERE person_id = :id AND tag <> ALL(CAST(:tags AS text[]))
)
INSERT INTO person_tag (person_id, tag, since)
SELECT :id, t, CAST(now() AT TIME ZONE 'Asia/Shanghai' AS date)
FROM unnest(CAST(:tags AS text[])) AS t
ON CONFLICT DO NOTHING
