-- Open incidents held by a retired area of plan :plan
-- whose micro-grid changes: from the holding area's code to the draft micro-grid covering the
-- point (lowest ref on an edge; none when it is outside every draft micro-grid). Department
-- staff see only the incidents routed to their department (:scope_department). The grid it
-- was in (a code) and the one it goes to (the draft micro-grid's parent ref, which is the
-- same text for a grid the draft keeps): where they differ the incident changes hands.
{{plan_status}}
SELECT i.code, q.code AS from_code, q.level AS from_level, t.ref AS to_ref, st.status AS to_status,
       g.code AS from_grid, t.parent_ref AS to_grid
FROM incident i
JOIN area q ON q.id = i.queue_area_id
LEFT JOIN area g ON g.id = i.grid_id
LEFT JOIN LATERAL (
    SELECT pa.id, pa.ref, pa.parent_ref FROM plan_area pa
    WHERE pa.plan_id = :plan AND pa.level = 'micro_grid' AND ST_Intersects(pa.geom, i.geom)
    ORDER BY pa.ref LIMIT 1
) t ON true
LEFT JOIN status st ON st.id = t.id
WHERE i.status <> ALL(CAST(:closed AS text[]))
  AND (i.queue_area_id IN (SELECT id FROM retired) OR i.micro_grid_id IN (SELECT id FROM retired)
       OR i.grid_id IN (SELECT id FROM retired) OR i.village_id IN (SELECT id FROM retired))
  AND (t.ref IS DISTINCT FROM q.code OR st.status <> 'unchanged')
  AND {{incident_in_department(i)}}
ORDER BY i.code
