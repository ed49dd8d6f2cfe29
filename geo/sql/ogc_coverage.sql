-- OGC API - Features items of "coverage": live micro-grids of generation :g inside the scope,
-- one page in code order after :after (or the one :code), each with its coverage at :now
-- (fragment micro_grid_coverage): counts, shares' parts, the last contact and whether it is
-- uncovered. Counts only: never a household, a person or a member. numberMatched as in
-- ogc_area_items.sql; coverage is computed for the page's micro-grids only.
-- A CQL2 filter on the area's own queryables applies in matched (fragment cql2_filter); one
-- naming a computed figure runs ogc_coverage_filtered.sql instead.
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
      AND {{cql2_filter}}
),
page AS MATERIALIZED (
    SELECT m.* FROM matched m
    WHERE CAST(:after AS text) IS NULL OR m.code > :after
    ORDER BY m.code
    LIMIT :limit
),
covered AS ({{micro_grid_coverage(page)}})
SELECT n.number_matched, f.code, f.feature
FROM (SELECT count(*) AS number_matched FROM matched) n
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
                   'households', c.households,
                   'claimed', c.claimed,
                   'visited', c.visited,
                   'overdue', c.overdue,
                   'members', c.members,
                   'last_contact', c.last_contact,
                   'uncovered', c.uncovered)
           )::text AS feature
    FROM page p
    JOIN covered c ON c.id = p.id
) f ON true
ORDER BY f.code
