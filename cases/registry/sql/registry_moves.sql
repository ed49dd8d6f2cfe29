-- Houses (and their households) of plan :plan's retired micro-grids, by where they go: from
-- the retired micro-grid's code to the draft micro-grid covering the house's point (lowest ref
-- on an edge; none outside every draft micro-grid, where publication takes the nearest).
{{plan_status}}
, moved AS (
    SELECT h.id, r.code AS from_code, t.ref AS to_ref, st.status AS to_status
    FROM house h
    JOIN retired r ON r.id = h.micro_grid_id
    LEFT JOIN LATERAL (
        SELECT pa.id, pa.ref FROM plan_area pa
        WHERE pa.plan_id = :plan AND pa.level = 'micro_grid' AND ST_Intersects(pa.geom, h.geom)
        ORDER BY pa.ref LIMIT 1
    ) t ON true
    LEFT JOIN status st ON st.id = t.id
)
SELECT m.from_code, m.to_ref, m.to_status, count(DISTINCT m.id) AS houses,
       count(hh.id) AS households
FROM moved m
LEFT JOIN household hh ON hh.house_id = m.id
GROUP BY m.from_code, m.to_ref, m.to_status
ORDER BY m.from_code, m.to_ref
