-- The live areas of :level under :parent (generation :g, inside the caller's scope), each
-- with its outline as RFC 7946 geometry text (counter-clockwise, no crs member), lightly
-- simplified: the map of an indicator by area (cases.indicators.compute.by_area).
SELECT a.code, a.name,
       ST_AsGeoJSON(ST_ForcePolygonCCW(ST_SimplifyPreserveTopology(a.geom, 0.0001)), 7, 0)
           AS geometry
{{area_features_matching}}
ORDER BY a.code
