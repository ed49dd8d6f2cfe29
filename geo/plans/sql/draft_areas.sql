-- Every draft area of plan :plan with its shape as WKB, by ref.
SELECT ref, name, level, parent_ref, ST_AsBinary(geom) AS wkb
FROM plan_area
WHERE plan_id = :plan
ORDER BY ref
