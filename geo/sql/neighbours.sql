-- Codes of the areas of the same level as area :id that share a boundary with it, live in
-- generation :g and inside the caller's scope.
SELECT a.code FROM area a, area b
WHERE b.id = :id AND a.level = b.level AND a.id <> b.id AND {{live(a)}}
  AND {{area_in_scope(a.code)}}
  AND ST_Intersects(a.geom, b.geom)
ORDER BY a.code
