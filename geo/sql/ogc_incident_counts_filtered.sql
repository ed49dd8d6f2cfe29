-- ogc_incident_counts.sql for a CQL2 filter that names a count (open_01 > 20, say): the
-- incidents are counted for every candidate micro-grid (live in :g, inside the scope and the
-- bbox), the filter (fragment cql2_filter) keeps those whose counts it accepts, and the page
-- and numberMatched come from what it kept. Placement and scope as in ogc_incident_counts.sql;
-- counts are also kept summed (open_count, total_count) for the filter to name.
-- The row under the filter: a (the area: code, name, population, geom) and c (its counts).
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
),
orphans AS MATERIALIZED (
    SELECT i.geom, left(i.category_code, 2) AS major, i.status
    FROM incident i
    WHERE i.geom && (SELECT ST_Extent(m.geom) FROM matched m)::geometry
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
    SELECT m.id AS area_id, left(i.category_code, 2) AS major, i.status
    FROM matched m
    JOIN incident i ON i.micro_grid_id = m.id
    WHERE {{incident_in_department(i)}}
    UNION ALL
    SELECT placed.area_id, placed.major, placed.status
    FROM placed
    WHERE placed.area_id IN (SELECT id FROM matched)
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
    SELECT m.area_id,
           json_object_agg(m.major, json_build_array(m.open_n, m.total_n)) AS counts,
           sum(m.open_n) AS open_count,
           sum(m.total_n) AS total_count
    FROM per_major m
    GROUP BY m.area_id
),
filtered AS MATERIALIZED (
    SELECT a.id, a.code, a.name, a.population, a.geom, c.counts
    FROM matched a
    LEFT JOIN per_area c ON c.area_id = a.id
    WHERE {{cql2_filter}}
),
page AS MATERIALIZED (
    SELECT f.*
    FROM filtered f
    WHERE CAST(:after AS text) IS NULL OR f.code > :after
    ORDER BY f.code
    LIMIT :limit
)
SELECT n.number_matched, f.code, f.name, f.population, f.counts, f.geometry
FROM (SELECT count(*) AS number_matched FROM filtered) n
LEFT JOIN LATERAL (
    SELECT p.code,
           p.name,
           p.population,
           coalesce(p.counts, '{}'::json)::text AS counts,
           ST_AsGeoJSON(
               CASE WHEN :lat_first THEN ST_FlipCoordinates(ST_ForcePolygonCCW(p.geom))
                    ELSE ST_ForcePolygonCCW(p.geom) END,
               7, 0) AS geometry
    FROM page p
) f ON true
ORDER BY f.code
