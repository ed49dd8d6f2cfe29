-- The highest ids stored in the registry's main tables (0 when empty).
SELECT (SELECT coalesce(max(id), 0) FROM house) AS house,
       (SELECT coalesce(max(id), 0) FROM household) AS household,
       (SELECT coalesce(max(id), 0) FROM person) AS person
