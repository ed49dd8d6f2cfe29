-- The union of the draft areas :refs of plan :plan, as WKB: the outline of a grid made of
-- those micro-grids (ST_Union keeps their vertices, so the edge two grids built this way
-- share matches vertex for vertex, as the topology check wants).
SELECT ST_AsBinary(ST_Multi(ST_Union(geom)))
FROM plan_area
WHERE plan_id = :plan AND ref = ANY(CAST(:refs AS text[]))
