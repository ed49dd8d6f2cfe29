-- OGC API - Features items: live areas of :level in generation :g as Feature JSON text, in
-- code order, one page after the code :after, with numberMatched on every row. The count row
-- is LEFT JOINed so that a page past the end still says how many matched (feature NULL).
-- bbox is exact (&& on the GiST index, then ST_Intersects), as the standard asks; :code picks
-- one feature; only areas inside the scope (fragment area_in_scope) match, and only those the
-- client's CQL2 filter keeps (fragment cql2_filter; queryables in geo/ogc_queryables.py).
-- Exteriors are counter-clockwise on the ground (ST_ForcePolygonCCW); with
-- :lat_first the coordinates are flipped to EPSG:4490's own axis order (latitude, longitude).
WITH matched AS MATERIALIZED (
    SELECT a.id, a.code, a.name, a.level, a.kind, a.population, a.parent_id,
           a.generation_low, a.generation_high, a.geom
    FROM area a
    WHERE a.level = :level
      AND {{live(a)}}
      AND (CAST(:code AS text) IS NULL OR a.code = :code)
      AND {{area_in_scope(a.code)}}
      AND (CAST(:xmin AS float8) IS NULL
           OR (a.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490)
               AND ST_Intersects(a.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490))))
      AND {{cql2_filter}}
)
SELECT n.number_matched, page.code, page.feature
FROM (SELECT count(*) AS number_matched FROM matched) n
LEFT JOIN LATERAL (
    SELECT m.code,
           json_build_object(
               'type', 'Feature',
               'id', m.code,
               'geometry', ST_AsGeoJSON(
                   CASE WHEN :lat_first THEN ST_FlipCoordinates(ST_ForcePolygonCCW(m.geom))
                        ELSE ST_ForcePolygonCCW(m.geom) END,
                   7, 0)::json,
               'properties', json_build_object(
                   'code', m.code,
                   'name', m.name,
                   'level', m.level,
                   'kind', m.kind,
                   'parent_code', p.code,
                   'township_code', left(m.code, 9),
                   'population', m.population,
                   'generation_low', m.generation_low,
                   'generation_high', m.generation_high)
           )::text AS feature
    FROM matched m
    LEFT JOIN area p ON p.id = m.parent_id
    WHERE CAST(:after AS text) IS NULL OR m.code > :after
    ORDER BY m.code
    LIMIT :limit
) page ON true
ORDER BY page.code
