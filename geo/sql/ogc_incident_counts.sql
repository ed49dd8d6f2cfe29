-- OGC API - Features items of "incident_counts": live micro-grids of generation :g, one page
-- in code order after :after, each with its incidents counted per major category (the first
-- two digits of the code): open (status not in :closed) and total. Never an incident, a point
-- or a reporter: only counts leave this query. numberMatched as in ogc_area_items.sql.
-- Placement follows heat_counts.sql: an incident counts for the micro-grid it was assigned to
-- when that micro-grid is live in :g, else (history after a redraw) for the live micro-grid
-- covering its point, lowest code first. Counting runs for the page's micro-grids only:
-- LATERAL index lookups, and orphans looked up inside the page's extent.
-- Scope: only micro-grids inside the caller's area (fragment area_in_scope), and only
-- incidents in the caller's scope (fragment incident_in_scope: held in an area inside it and
-- routed to the caller's department); an assigned incident is held in its micro-grid.
-- A CQL2 filter on the area's own queryables applies in matched (fragment cql2_filter); one
-- naming a computed figure runs ogc_incident_counts_filtered.sql instead.
WITH matched AS MATERIALIZED (
    SELECT a.id, a.code, a.name, a.population, a.geom
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
    SELECT m.*
    FROM matched m
    WHERE CAST(:after AS text) IS NULL OR m.code > :after
    ORDER BY m.code
    LIMIT :limit
),
orphans AS MATERIALIZED (
    SELECT i.geom, left(i.category_code, 2) AS major, i.status
    FROM incident i
    WHERE i.geom && (SELECT ST_Extent(p.geom) FROM page p)::geometry
      AND {{incident_in_scope(i)}}
      AND NOT {{assigned_live(i.micro_grid_id)}}
),
placed AS (
    SELECT {{live_micro_grid_covering(o.geom)}} AS area_id,
           o.major,
           o.status
    FROM orphans o
),
counted AS (
    SELECT p.id AS area_id, left(i.category_code, 2) AS major, i.status
    FROM page p
    JOIN incident i ON i.micro_grid_id = p.id
    WHERE {{incident_in_department(i)}}
    UNION ALL
    SELECT placed.area_id, placed.major, placed.status
    FROM placed
    WHERE placed.area_id IN (SELECT id FROM page)
),
per_major AS (
    SELECT c.area_id,
           c.major,
           count(*) FILTER (WHERE NOT (c.status = ANY(CAST(:closed AS text[])))) AS open_n,
           count(*) AS total_n
    FROM counted c
    GROUP BY c.area_id, c.major
),
per_area AS (
    SELECT m.area_id, json_object_agg(m.major, json_build_array(m.open_n, m.total_n)) AS counts
    FROM per_major m
    GROUP BY m.area_id
)
SELECT n.number_matched, f.code, f.name, f.population, f.counts, f.geometry
FROM (SELECT count(*) AS number_matched FROM matched) n
LEFT JOIN LATERAL (
    SELECT p.code,
           p.name,
           p.population,
           coalesce(pa.counts, '{}'::json)::text AS counts,
           ST_AsGeoJSON(
               CASE WHEN :lat_first THEN ST_FlipCoordinates(ST_ForcePolygonCCW(p.geom))
                    ELSE ST_ForcePolygonCCW(p.geom) END,
               7, 0) AS geometry
    FROM page p
    LEFT JOIN per_area pa ON pa.area_id = p.id
) f ON true
ORDER BY f.code
