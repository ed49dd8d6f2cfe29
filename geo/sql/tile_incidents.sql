-- One Mapbox Vector Tile layer "incidents": per live micro-grid of generation :g in tile
-- (:z, :x, :y), the matching incidents (total_count) and those still open (open_count).
-- Micro-grids without a matching incident are left out. Never a point, never a reporter.
-- Placement follows heat_counts.sql: the assigned micro-grid when it is live in :g, else the
-- live micro-grid covering the point (lowest code), which is then in this tile. Counts are
-- LATERAL index lookups per micro-grid so that a generic plan keeps the same shape.
-- Scope: only micro-grids inside the caller's area (fragment area_in_scope), and only
-- incidents in the caller's scope (fragment incident_in_scope: held in an area inside it and
-- routed to the caller's department); an assigned incident is held in its micro-grid.
-- Privacy: with :k above 1 (roles without access to the cases), a micro-grid with fewer than
-- :k matching incidents is left out and an open_count from 1 to :k - 1 is left off (null).
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y), 4490) AS env_storage
),
cells AS MATERIALIZED (
    SELECT a.id, a.code, a.geom
    FROM area a, bounds b
    WHERE a.level = 'micro_grid'
      AND {{live(a)}}
      AND {{area_in_scope(a.code)}}
      AND a.geom && b.env_storage
      AND ST_Intersects(a.geom, b.env_storage)
),
orphans AS MATERIALIZED (
    SELECT i.geom, i.status
    FROM incident i, bounds b
    WHERE i.geom && b.env_storage
      AND {{incident_in_scope(i)}}
      AND (CAST(:category AS text) IS NULL
           OR left(i.category_code, length(:category)) = :category)
      AND i.reported_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND NOT {{assigned_live(i.micro_grid_id)}}
),
orphan_counts AS MATERIALIZED (
    SELECT placed.cell_id,
           count(*) FILTER (WHERE NOT (placed.status = ANY(CAST(:closed AS text[])))) AS open_n,
           count(*) AS total_n
    FROM (
        SELECT (SELECT c.id FROM cells c
                WHERE {{covering_lowest_code_first(c, o.geom)}}) AS cell_id,
               o.status
        FROM orphans o
    ) placed
    WHERE placed.cell_id IS NOT NULL
    GROUP BY placed.cell_id
),
counted AS (
    SELECT c.code,
           c.geom,
           (assigned.open_n + coalesce(oc.open_n, 0))::int AS open_count,
           (assigned.total_n + coalesce(oc.total_n, 0))::int AS total_count
    FROM cells c
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE NOT (i.status = ANY(CAST(:closed AS text[])))) AS open_n,
               count(*) AS total_n
        FROM incident i
        WHERE i.micro_grid_id = c.id
          AND {{incident_in_department(i)}}
          AND (CAST(:category AS text) IS NULL
               OR left(i.category_code, length(:category)) = :category)
          AND i.reported_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
    ) assigned
    LEFT JOIN orphan_counts oc ON oc.cell_id = c.id
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(k.geom, 3857), b.env, :extent, :buffer, true) AS geom,
           k.code,
           CASE WHEN k.open_count > 0 AND k.open_count < :k THEN NULL
                ELSE k.open_count END AS open_count,
           k.total_count
    FROM counted k, bounds b
    WHERE k.total_count > 0 AND k.total_count >= :k
)
SELECT ST_AsMVT(features.*, 'incidents', :extent, 'geom')
FROM features
WHERE geom IS NOT NULL
