-- Live descendants of :code in generation :g per level, and members serving them per kind.
SELECT 'area' AS what, a.level AS key, count(*) AS n
FROM area a
WHERE left(a.code, length(:code)) = :code AND a.code <> :code
  AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
GROUP BY a.level
UNION ALL
SELECT 'member', m.kind, count(*)
FROM member m JOIN area a ON a.id = m.area_id
WHERE left(a.code, length(:code)) = :code
  AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
GROUP BY m.kind
