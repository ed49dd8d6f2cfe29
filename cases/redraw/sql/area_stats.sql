-- Figures per area of plan :plan's scope, before (the
-- base generation's live areas) and after (the draft): open incidents and party members' homes
-- inside it, staff (grid workers, instructors, leaders) serving it, km². :staff_refs/:staff_kinds
-- are the draft refs and kinds staff move to (from member_moves.sql). Department staff
-- (:scope_department, as in geo/scope.py) count only the incidents routed to their department.
-- Households and population (the registry's persons) of the houses inside, for areas that
-- change only (an unchanged area's are its own; NULL there).
{{plan_status}}
, scope AS (SELECT a.geom FROM plan p JOIN area a ON a.id = p.scope_area_id WHERE p.id = :plan),
open_points AS MATERIALIZED (
    SELECT i.geom FROM incident i, scope s
    WHERE i.status <> ALL(CAST(:closed AS text[])) AND ST_Intersects(s.geom, i.geom)
      AND {{incident_in_department(i)}}
),
homes AS MATERIALIZED (
    SELECT m.home AS geom FROM member m, scope s
    WHERE m.kind = 'party_member' AND ST_Intersects(s.geom, m.home)
),
moved AS (
    SELECT * FROM unnest(CAST(:staff_refs AS text[]), CAST(:staff_kinds AS text[])) AS t(ref, kind)
),
sides AS (
    SELECT 'before' AS side, a.code AS ref, a.level,
           CASE WHEN r.id IS NULL THEN 'unchanged' ELSE 'retired' END AS status, a.geom,
           a.id AS staff_area, NULL::text AS source_code
    FROM plan p
    JOIN area a ON left(a.code, length(p.scope_code)) = p.scope_code AND a.code <> p.scope_code
    LEFT JOIN retired r ON r.id = a.id
    WHERE p.id = :plan
      AND {{live(a, p.base_generation)}}
    UNION ALL
    SELECT 'after', pa.ref, pa.level, st.status, pa.geom,
           CASE WHEN st.status = 'unchanged' THEN pa.source_area_id END, s.code
    FROM plan_area pa
    JOIN status st ON st.id = pa.id
    LEFT JOIN area s ON s.id = pa.source_area_id
    WHERE pa.plan_id = :plan
)
SELECT s.side, s.ref, s.level, s.status, s.source_code,
       round((ST_Area(s.geom::geography) / 1e6)::numeric, 4)::float8 AS km2,
       (SELECT count(*) FROM open_points o WHERE ST_Intersects(s.geom, o.geom)) AS open_incidents,
       (SELECT count(*) FROM homes h WHERE ST_Intersects(s.geom, h.geom)) AS party_members,
       (SELECT count(*) FROM member m WHERE m.area_id = s.staff_area AND m.kind <> 'party_member')
         + (SELECT count(*) FROM moved WHERE s.side = 'after' AND moved.ref = s.ref) AS staff,
       (SELECT count(*) FROM member m WHERE m.area_id = s.staff_area AND m.kind = 'grid_worker')
         + (SELECT count(*) FROM moved
            WHERE s.side = 'after' AND moved.ref = s.ref AND moved.kind = 'grid_worker')
         AS grid_workers,
       CASE WHEN s.status <> 'unchanged' THEN
         (SELECT count(hh.id) FROM house h JOIN household hh ON hh.house_id = h.id
          WHERE ST_Intersects(s.geom, h.geom)) END AS households,
       CASE WHEN s.status <> 'unchanged' THEN
         (SELECT count(p.id) FROM house h JOIN household hh ON hh.house_id = h.id
          JOIN person p ON p.household_id = hh.id WHERE ST_Intersects(s.geom, h.geom)) END
         AS population,
       CASE WHEN :geometry THEN ST_AsGeoJSON(ST_ForcePolygonCCW(s.geom), 7, 0) END AS geometry
FROM sides s
ORDER BY s.side DESC, array_position(ARRAY['township', 'village', 'grid', 'micro_grid'],
                                     s.level::text), s.ref
