-- What a scope prefix :code names (geo.places.place_of): a region (province or city) or a
-- current area, with the kind of the county-level unit it lies in (the area row's kind at
-- the banner level; null above it, and null for a banner, as Dalad's rows are).
SELECT r.code, r.name, CAST(r.level AS text) AS level, NULL AS place_kind
FROM region r
WHERE r.code = :code
UNION ALL
SELECT a.code, a.name, CAST(a.level AS text),
       (SELECT c.kind FROM area c
        WHERE c.code = left(a.code, 6) AND c.level = 'banner' AND c.generation_high IS NULL
        LIMIT 1)
FROM area a
WHERE a.code = :code AND a.generation_high IS NULL
LIMIT 1
