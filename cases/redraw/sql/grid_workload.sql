-- The workload of every grid of plan :plan, after (its draft shape) and before (the live grid a
-- copy comes from; none for a new grid): households and persons of the houses inside, open
-- incidents (:closed are the closed statuses) and incidents reported in the last 365 days
-- inside, and the members serving it (the staff assigned to the grid it copies, and the party
-- members at home inside), with the kind of its village (community = urban).
WITH sides AS (
    SELECT 'after' AS side, pa.ref, pa.name, pa.geom, pa.source_area_id AS staff_area,
           coalesce(v.kind, va.kind) AS village_kind
    FROM plan_area pa
    JOIN plan p ON p.id = pa.plan_id
    LEFT JOIN plan_area v ON v.plan_id = pa.plan_id AND v.ref = pa.parent_ref
    LEFT JOIN area va ON va.id = p.scope_area_id AND va.code = pa.parent_ref
    WHERE pa.plan_id = :plan AND pa.level = 'grid'
    UNION ALL
    SELECT 'before', pa.ref, s.name, s.geom, s.id, NULL
    FROM plan_area pa JOIN area s ON s.id = pa.source_area_id
    WHERE pa.plan_id = :plan AND pa.level = 'grid'
)
SELECT s.side, s.ref, s.name, s.village_kind,
       (SELECT count(*) FROM house h JOIN household hh ON hh.house_id = h.id
        WHERE ST_Intersects(s.geom, h.geom)) AS households,
       (SELECT count(*) FROM house h JOIN household hh ON hh.house_id = h.id
        JOIN person pe ON pe.household_id = hh.id WHERE ST_Intersects(s.geom, h.geom))
         AS population,
       (SELECT count(*) FROM incident i
        WHERE i.status <> ALL(CAST(:closed AS text[])) AND ST_Intersects(s.geom, i.geom))
         AS open_cases,
       (SELECT count(*) FROM incident i
        WHERE i.reported_at > now() - interval '365 days' AND ST_Intersects(s.geom, i.geom))
         AS cases_year,
       (SELECT count(*) FROM member m WHERE m.kind <> 'party_member' AND m.area_id = s.staff_area)
         + (SELECT count(*) FROM member m
            WHERE m.kind = 'party_member' AND ST_Intersects(s.geom, m.home)) AS members
FROM sides s
ORDER BY s.ref, s.side
