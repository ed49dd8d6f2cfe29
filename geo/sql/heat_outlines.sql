-- The live micro-grids of generation :g inside the scope (fragment area_in_scope)
-- in code order with name, population and outline as RFC 7946 geometry text (counter-clockwise
-- exteriors, simplified by :tolerance degrees when it is above 0). They never change once the
-- generation exists, so geo.heat keeps them; the counts are heat_counts.sql.
SELECT a.id,
       a.code,
       a.name,
       a.population,
       ST_AsGeoJSON(
           ST_ForcePolygonCCW(
               CASE WHEN :tolerance > 0
                    THEN ST_SimplifyPreserveTopology(a.geom, :tolerance)
                    ELSE a.geom END),
           7, 0) AS geometry
FROM area a
WHERE a.level = 'micro_grid'
  AND {{live(a)}}
  AND {{area_in_scope(a.code)}}
ORDER BY a.code
