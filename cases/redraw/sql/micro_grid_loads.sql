-- The load of each draft micro-grid :refs of plan :plan by :measure, what a balanced split
-- evens out: 'households' (the registry's households living in the houses inside),
-- 'population' (their persons) or 'cases_year' (incidents reported in the last 365 days
-- inside, whatever their status).
-- A house or incident counts once, for the draft micro-grid covering it (the lowest ref on a
-- shared edge, by the rule every placement uses); one outside every draft micro-grid (a house
-- the registry placed in the nearest micro-grid) counts for the draft copy of the micro-grid
-- it is filed under (such a house is a candidate only through that copy, one of :refs).
WITH named AS MATERIALIZED (
    SELECT ref, source_area_id, geom
    FROM plan_area
    WHERE plan_id = :plan AND level = 'micro_grid' AND ref = ANY(CAST(:refs AS text[]))
),
points AS (
    SELECT 'house' AS kind, h.id, h.geom, h.micro_grid_id
    FROM named n JOIN house h ON ST_Intersects(n.geom, h.geom)
    WHERE :measure IN ('households', 'population')
    UNION
    SELECT 'house', h.id, h.geom, h.micro_grid_id
    FROM named n JOIN house h ON h.micro_grid_id = n.source_area_id
    WHERE :measure IN ('households', 'population')
    UNION
    SELECT 'incident', i.id, i.geom, i.micro_grid_id
    FROM named n JOIN incident i ON ST_Intersects(n.geom, i.geom)
    WHERE :measure = 'cases_year' AND i.reported_at > now() - interval '365 days'
    UNION
    SELECT 'incident', i.id, i.geom, i.micro_grid_id
    FROM named n JOIN incident i ON i.micro_grid_id = n.source_area_id
    WHERE :measure = 'cases_year' AND i.reported_at > now() - interval '365 days'
),
placed AS MATERIALIZED (
    SELECT p.kind, p.id, coalesce(
        (SELECT d.ref
         FROM (SELECT ref, ref AS code, geom FROM plan_area
               WHERE plan_id = :plan AND level = 'micro_grid') d
         WHERE {{covering_lowest_code_first(d, p.geom)}}),
        (SELECT min(n.ref) FROM named n WHERE n.source_area_id = p.micro_grid_id)) AS ref
    FROM points p
),
weighed AS (
    SELECT pl.ref,
           CASE :measure
             WHEN 'households' THEN
               (SELECT count(*) FROM household hh WHERE hh.house_id = pl.id)
             WHEN 'population' THEN
               (SELECT count(*) FROM household hh JOIN person pe ON pe.household_id = hh.id
                WHERE hh.house_id = pl.id)
             ELSE 1
           END AS weight
    FROM placed pl
)
SELECT n.ref, coalesce(sum(w.weight), 0)::bigint AS load
FROM named n
LEFT JOIN weighed w ON w.ref = n.ref
GROUP BY n.ref
ORDER BY n.ref
