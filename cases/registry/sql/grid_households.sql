-- The grids plan :plan changes or adds, with the households of the houses inside each and
-- the kind of its village (community = urban): what the grid-size norm is checked against.
{{plan_status}}
SELECT pa.ref, coalesce(v.kind, va.kind) AS village_kind,
       (SELECT count(hh.id) FROM house h JOIN household hh ON hh.house_id = h.id
        WHERE ST_Intersects(pa.geom, h.geom)) AS households
FROM plan_area pa
JOIN status st ON st.id = pa.id
JOIN plan p ON p.id = pa.plan_id
LEFT JOIN plan_area v ON v.plan_id = pa.plan_id AND v.ref = pa.parent_ref
LEFT JOIN area va ON va.id = p.scope_area_id AND va.code = pa.parent_ref
WHERE pa.plan_id = :plan AND pa.level = 'grid' AND st.status <> 'unchanged'
ORDER BY pa.ref
