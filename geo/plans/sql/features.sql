-- One RFC 7946 Feature (as JSON text) per draft area of plan :plan, coarsest level first.
{{plan_status}}
SELECT json_build_object(
           'type', 'Feature',
           'id', pa.ref,
           'geometry', ST_AsGeoJSON(ST_ForcePolygonCCW(pa.geom), 7, 0)::json,
           'properties', {{plan_area_properties}}
       )::text AS feature
FROM plan_area pa
JOIN status st ON st.id = pa.id
LEFT JOIN area s ON s.id = pa.source_area_id
LEFT JOIN area a ON a.id = pa.area_id
WHERE pa.plan_id = :plan
  AND (CAST(:level AS text) IS NULL OR pa.level = :level)
  AND (CAST(:refs AS text[]) IS NULL OR pa.ref = ANY(CAST(:refs AS text[])))
ORDER BY array_position(ARRAY['banner', 'township', 'village', 'grid', 'micro_grid'],
                        pa.level::text), pa.ref
