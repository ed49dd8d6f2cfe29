-- Report-in per unit (嘎查村/社区, the live villages of generation :g the caller may see,
-- under :within): the party members serving a micro-grid in it, and how many of them have
-- reported in (a registration at any micro-grid). Flagged by the caller under the threshold.
WITH villages AS (
    SELECT v.id, v.code, v.name
    FROM area v
    WHERE v.level = 'village'
      AND {{live(v)}}
      AND {{area_seen_in_scope(v.code)}}
      AND (CAST(:within AS text) IS NULL OR left(v.code, length(:within)) = :within)
),
members AS (
    SELECT a.code AS home_code, (r.id IS NOT NULL) AS registered
    FROM member m
    JOIN area a ON a.id = m.area_id
    LEFT JOIN party_registration r ON r.member_id = m.id
    WHERE m.kind = 'party_member'
)
SELECT v.code,
       v.name,
       count(mb.home_code)::int AS members,
       (count(*) FILTER (WHERE mb.registered))::int AS registered
FROM villages v
LEFT JOIN members mb ON left(mb.home_code, length(v.code)) = v.code
GROUP BY v.code, v.name
ORDER BY v.code
