-- "My area": the households of every live micro-grid inside the member's area
-- (:member_area, a code prefix) and the caller's scope, each with its cadence and last
-- contact (fragment household_seen), its head's name and its claiming member's name (raw:
-- cases.routines.cadence masks them) and its persons' tags with their marks; overdue first,
-- then the soonest due.
WITH mg AS MATERIALIZED (
    SELECT a.id, a.code, a.name FROM area a
    WHERE a.level = 'micro_grid' AND {{live(a)}}
      AND left(a.code, length(:member_area)) = :member_area
      AND {{area_in_scope(a.code)}}
),
seen AS ({{household_seen(mg)}})
SELECT mg.code AS micro_grid, mg.name AS micro_grid_name, s.code, s.house_name, s.every_days,
       s.seen_at, s.seen_at + s.every_days * interval '1 day' AS due_at,
       s.overdue,
       hp.name AS head_name, cm.name AS claimed_by_name, cm.id AS claimed_by_id,
       coalesce((SELECT json_agg(DISTINCT jsonb_build_object('tag', k.tag, 'label', k.label,
                                                             'mark', k.mark))
                 FROM person p JOIN person_tag pt ON pt.person_id = p.id
                 JOIN tag_kind k ON k.tag = pt.tag
                 WHERE p.household_id = s.id), '[]') AS tags
FROM mg
JOIN seen s ON s.micro_grid_id = mg.id
LEFT JOIN person hp ON hp.id = s.head_person_id
LEFT JOIN member cm ON cm.id = s.claimed_by_member_id
ORDER BY overdue DESC, due_at NULLS FIRST, s.code
