-- A live area of generation :g at :level by its code (the caller checks the scope: a
-- micro-grid must be inside it, a community may be one holding it).
SELECT a.id, a.code, a.name
FROM area a
WHERE a.code = :code
  AND a.level = :level
  AND {{live(a)}}
