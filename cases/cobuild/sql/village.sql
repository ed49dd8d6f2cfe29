-- A live village of the current generation :g inside the caller's scope, with its township
-- (the parent area): where every co-building record belongs.
SELECT v.code, v.name, t.code AS township_code, t.name AS township_name
FROM area v
JOIN area t ON t.id = v.parent_id
WHERE v.code = :code AND v.level = 'village' AND {{live(v)}} AND {{area_in_scope(v.code)}}
