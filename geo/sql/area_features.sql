-- One RFC 7946 Feature (as JSON text) per live area of generation :g, in code order, inside
-- the scope (fragment area_in_scope).
-- ST_ForcePolygonCCW: RFC 7946 wants counter-clockwise exteriors; options 0: no crs member.
SELECT a.code,
       json_build_object(
           'type', 'Feature',
           'id', a.code,
           'geometry', ST_AsGeoJSON(
               ST_ForcePolygonCCW(
                   CASE WHEN :tolerance > 0
                        THEN ST_SimplifyPreserveTopology(a.geom, :tolerance)
                        ELSE a.geom END),
               7, 0)::json,
           'properties', json_build_object(
               'code', a.code,
               'name', a.name,
               'level', a.level,
               'kind', a.kind,
               'parent_code', p.code,
               'population', a.population,
               'generation_low', a.generation_low,
               'generation_high', a.generation_high)
       )::text AS feature
{{area_features_matching}}
  AND (CAST(:after AS text) IS NULL OR a.code > :after)
ORDER BY a.code
LIMIT :limit
