-- Live descendants of :code in generation :g per level, and members serving them per kind.
SELECT 'area' AS what, a.level AS key, count(*) AS n
FROM area a
WHERE left(a.code, length(:code)) = :code AND a.code <> :code
  AND {{live(a)}}
GROUP BY a.level
UNION ALL
SELECT 'member', m.kind, count(*)
FROM member m JOIN area a ON a.id = m.area_id
WHERE left(a.code, length(:code)) = :code
  AND {{live(a)}}
GROUP BY m.kind
