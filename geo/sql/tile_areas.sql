-- One Mapbox Vector Tile layer: the live areas of :level in generation :g that intersect tile
-- (:z, :x, :y) and inside the scope (fragment area_in_scope), with their code,
-- name, level and parent code (nothing personal).
-- The envelope is also transformed to storage (EPSG:4490) for the && prefilter, so the GiST
-- index on area.geom picks the candidates; a Web Mercator rectangle is a lon/lat rectangle,
-- so the ST_Intersects test is exact. Areas under :min_size degrees across are skipped before
-- the transform (specks at low zooms); ST_AsMVTGeom itself snaps to the tile grid.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y), 4490) AS env_storage
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(a.geom, 3857), b.env, :extent, :buffer, true) AS geom,
           a.code,
           a.name,
           a.level,
           p.code AS parent_code
    FROM area a
    CROSS JOIN bounds b
    LEFT JOIN area p ON p.id = a.parent_id
    WHERE a.level = :level
      AND {{live(a)}}
      AND {{area_in_scope(a.code)}}
      AND a.geom && b.env_storage
      AND ST_Intersects(a.geom, b.env_storage)
      AND greatest(ST_XMax(a.geom::box2d) - ST_XMin(a.geom::box2d),
                   ST_YMax(a.geom::box2d) - ST_YMin(a.geom::box2d)) >= :min_size
)
SELECT ST_AsMVT(features.*, :layer, :extent, 'geom')
FROM features
WHERE geom IS NOT NULL
