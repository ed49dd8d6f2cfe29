-- The draft areas of plan :plan whose shape is still their source's: a repair must not reshape
-- them (it would give them, and everything under them, new codes at publication).
SELECT pa.ref
FROM plan_area pa JOIN area s ON s.id = pa.source_area_id
WHERE pa.plan_id = :plan AND ST_Equals(pa.geom, s.geom)
