-- ogc_coverage.sql for a CQL2 filter that names a coverage figure (uncovered = true,
-- T_BEFORE(last_contact, ...), say): coverage at :now is computed for every candidate
-- micro-grid (live in :g, inside the scope and the bbox; fragment micro_grid_coverage), the
-- filter (fragment cql2_filter) keeps those it accepts, and the page and numberMatched come
-- from what it kept. Counts only, as in ogc_coverage.sql.
-- The row under the filter: a (the area: code, name, geom) and c (its coverage).
WITH matched AS MATERIALIZED (
    SELECT a.id, a.code, a.name, a.geom
    FROM area a
    WHERE a.level = 'micro_grid'
      AND {{live(a)}}
      AND (CAST(:code AS text) IS NULL OR a.code = :code)
      AND {{area_in_scope(a.code)}}
      AND (CAST(:xmin AS float8) IS NULL
           OR (a.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490)
               AND ST_Intersects(a.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490))))
),
covered AS ({{micro_grid_coverage(matched)}}),
filtered AS MATERIALIZED (
    SELECT a.id, a.code, a.name, a.geom, c.households, c.claimed, c.visited, c.overdue,
           c.members, c.last_contact, c.uncovered
    FROM matched a
    JOIN covered c ON c.id = a.id
    WHERE {{cql2_filter}}
),
page AS MATERIALIZED (
    SELECT f.*
    FROM filtered f
    WHERE CAST(:after AS text) IS NULL OR f.code > :after
    ORDER BY f.code
    LIMIT :limit
)
SELECT n.number_matched, f.code, f.feature
FROM (SELECT count(*) AS number_matched FROM filtered) n
LEFT JOIN LATERAL (
    SELECT p.code,
           json_build_object(
               'type', 'Feature',
               'id', p.code,
               'geometry', ST_AsGeoJSON(
                   CASE WHEN :lat_first THEN ST_FlipCoordinates(ST_ForcePolygonCCW(p.geom))
                        ELSE ST_ForcePolygonCCW(p.geom) END,
                   7, 0)::json,
               'properties', json_build_object(
                   'code', p.code,
                   'name', p.name,
                   'township_code', left(p.code, 9),
                   'households', p.households,
                   'claimed', p.claimed,
                   'visited', p.visited,
                   'overdue', p.overdue,
                   'members', p.members,
                   'last_contact', p.last_contact,
                   'uncovered', p.uncovered)
           )::text AS feature
    FROM page p
) f ON true
ORDER BY f.code
