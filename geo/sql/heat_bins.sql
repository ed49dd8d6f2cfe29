-- Matching incidents counted in hexagons of edge :size metres, tiled in the metric CRS :srid;
-- only hexagons holding at least one incident, as RFC 7946 geometry text in EPSG:4490.
-- Each point picks its hexagon directly (ST_HexagonGrid over the point's own bounds), so the
-- work grows with the number of incidents, not with the area covered; a point on an edge
-- between hexagons goes to the lowest (i, j).
-- Scope: only incidents in the caller's scope (fragment incident_in_scope).
WITH matching AS (
    SELECT ST_Transform(i.geom, :srid) AS p
    FROM incident i
    WHERE (CAST(:category AS text) IS NULL
           OR left(i.category_code, length(:category)) = :category)
      AND i.reported_at >= coalesce(CAST(:from_ AS timestamptz), '-infinity')
      AND i.reported_at < coalesce(CAST(:to_ AS timestamptz), 'infinity')
      AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
      AND {{incident_in_scope(i)}}
),
binned AS (
    SELECT h.i, h.j
    FROM matching m
    CROSS JOIN LATERAL (
        SELECT g.i, g.j
        FROM ST_HexagonGrid(:size, m.p) g
        WHERE ST_Intersects(g.geom, m.p)
        ORDER BY g.i, g.j
        LIMIT 1
    ) h
)
SELECT b.i,
       b.j,
       count(*)::int AS n,
       ST_AsGeoJSON(
           ST_ForcePolygonCCW(
               ST_Transform(ST_SetSRID(ST_Hexagon(:size, b.i, b.j), :srid), 4490)),
           7, 0) AS geometry
FROM binned b
GROUP BY b.i, b.j
ORDER BY b.i, b.j
