-- One Mapbox Vector Tile layer "coverage": every live micro-grid of generation :g in tile
-- (:z, :x, :y) inside the caller's scope with its coverage at :now (fragment
-- micro_grid_coverage): code, households, visited, overdue, members, uncovered (1/0) and the
-- days since the last contact (-1: never). Counts only: never a household or a person.
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
covered AS ({{micro_grid_coverage(cells)}}),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), b.env, :extent, :buffer, true) AS geom,
           c.code,
           k.households::int AS households,
           k.visited::int AS visited,
           k.overdue::int AS overdue,
           k.members::int AS members,
           k.uncovered::int AS uncovered,
           coalesce(floor(extract(epoch FROM :now - k.last_contact) / 86400), -1)::int
               AS days_since_contact
    FROM cells c
    JOIN covered k ON k.id = c.id, bounds b
)
SELECT ST_AsMVT(features.*, 'coverage', :extent, 'geom')
FROM features
WHERE geom IS NOT NULL
