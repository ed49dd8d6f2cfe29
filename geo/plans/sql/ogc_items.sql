-- OGC API - Features items of a plan collection: the draft areas of plan :plan at :level as
-- Feature JSON text (the properties of /api/v1/plans, fragment plan_area_properties), in ref
-- order, one page after the ref :after, with numberMatched on every row (the count row is
-- LEFT JOINed so a page past the end still says how many matched). :ref picks one feature;
-- bbox is exact (&& then ST_Intersects). With :lat_first the coordinates are flipped to
-- EPSG:4490's own axis order (latitude, longitude), as ogc_area_items.sql does.
{{plan_status}},
matched AS MATERIALIZED (
    SELECT pa.id, pa.ref, pa.name, pa.level, pa.kind, pa.parent_ref, pa.version,
           pa.source_area_id, pa.area_id, pa.geom
    FROM plan_area pa
    WHERE pa.plan_id = :plan
      AND pa.level = :level
      AND (CAST(:ref AS text) IS NULL OR pa.ref = :ref)
      AND (CAST(:xmin AS float8) IS NULL
           OR (pa.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490)
               AND ST_Intersects(pa.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490))))
)
SELECT n.number_matched, page.ref, page.version, page.feature
FROM (SELECT count(*) AS number_matched FROM matched) n
LEFT JOIN LATERAL (
    SELECT pa.ref, pa.version,
           json_build_object(
               'type', 'Feature',
               'id', pa.ref,
               'geometry', ST_AsGeoJSON(
                   CASE WHEN :lat_first THEN ST_FlipCoordinates(ST_ForcePolygonCCW(pa.geom))
                        ELSE ST_ForcePolygonCCW(pa.geom) END,
                   7, 0)::json,
               'properties', {{plan_area_properties}}
           )::text AS feature
    FROM matched pa
    JOIN status st ON st.id = pa.id
    LEFT JOIN area s ON s.id = pa.source_area_id
    LEFT JOIN area a ON a.id = pa.area_id
    WHERE CAST(:after AS text) IS NULL OR pa.ref > :after
    ORDER BY pa.ref
    LIMIT :limit
) page ON true
ORDER BY page.ref
