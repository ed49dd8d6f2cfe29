-- Every (point, micro-grid) pair where the micro-grid intersects the point (edges count: for a
-- point ST_Intersects is ST_Covers), for the points of temp table bulk_points.
-- Polygon-driven: each micro-grid probes the points' GiST index, so PostGIS prepares each polygon
-- once and reuses it for all its points (a point-driven loop re-reads a polygon per point and
-- was ~4x slower here). ST_Contains/ST_Covers are slower still on PostGIS 3.3 nested loops.
COPY (
    SELECT p.i, m.id
    FROM bulk_micro m
    CROSS JOIN LATERAL (
        SELECT p.i FROM bulk_points p WHERE ST_Intersects(m.geom, p.geom)
    ) p
) TO STDOUT (FORMAT BINARY)
