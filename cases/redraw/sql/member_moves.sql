-- Where each member serving a retired area of plan :plan
-- goes. Party members (就近下沉) go to the draft micro-grid covering their home, else the
-- nearest one; everyone else (grid workers, instructors, leaders) to the draft area of the same
-- level that overlaps their old area most, else the one nearest their home. The grid they
-- served in (a code) and the one they go to (a draft ref, the same text for a grid the draft
-- keeps): where they differ the member changes hands. Members above grid level have neither.
{{plan_status}}
SELECT m.id, m.kind, m.name, r.code AS from_code, r.level AS from_level,
       t.ref AS to_ref, st.status AS to_status, t.area_id AS to_area_id, t.how,
       CASE r.level WHEN 'grid' THEN r.code WHEN 'micro_grid' THEN g.code END AS from_grid,
       CASE r.level WHEN 'grid' THEN t.ref WHEN 'micro_grid' THEN t.parent_ref END AS to_grid
FROM member m
JOIN retired r ON r.id = m.area_id
CROSS JOIN LATERAL (
    SELECT c.* FROM (
        (SELECT pa.id, pa.ref, pa.parent_ref, pa.area_id, 'home_covered' AS how, 0 AS rank
         FROM plan_area pa
         WHERE m.kind = 'party_member' AND pa.plan_id = :plan AND pa.level = 'micro_grid'
           AND ST_Intersects(pa.geom, m.home)
         ORDER BY pa.ref LIMIT 1)
        UNION ALL
        (SELECT pa.id, pa.ref, pa.parent_ref, pa.area_id, 'largest_overlap', 1
         FROM plan_area pa
         WHERE m.kind <> 'party_member' AND pa.plan_id = :plan AND pa.level = r.level
           AND ST_Intersects(pa.geom, r.geom)
         ORDER BY ST_Area(ST_Intersection(pa.geom, r.geom)) DESC, pa.ref LIMIT 1)
        UNION ALL
        (SELECT pa.id, pa.ref, pa.parent_ref, pa.area_id, 'home_nearest', 2
         FROM plan_area pa
         WHERE pa.plan_id = :plan
           AND pa.level = CASE WHEN m.kind = 'party_member' THEN 'micro_grid' ELSE r.level END
         ORDER BY pa.geom <-> m.home, pa.ref LIMIT 1)
    ) c
    ORDER BY c.rank LIMIT 1
) t
JOIN status st ON st.id = t.id
LEFT JOIN area g ON g.id = r.parent_id
ORDER BY m.id
