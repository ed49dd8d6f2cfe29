-- The shapes of plan :plan's draft areas within :tolerance degrees of the line :line (WKB):
-- the vertices a cut along it snaps to.
SELECT ST_AsBinary(geom) AS wkb
FROM plan_area
WHERE plan_id = :plan AND ST_DWithin(geom, {{storage_geom(:line)}}, :tolerance)
