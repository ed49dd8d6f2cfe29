-- Matching incidents per live micro-grid of generation :g, every micro-grid listed (count 0
-- when none), in code order, by id and code (names, populations and outlines are
-- heat_outlines.sql, kept per generation by geo.heat).
-- An incident counts for the micro-grid it was assigned to when that micro-grid is live in :g
-- (the assignment already settled shared edges and points just outside the banner); else,
-- after a redraw, for the live micro-grid covering its point, lowest code first ("orphans").
-- The matching incidents are read once and grouped by where they are held (one aggregate,
-- a few thousand groups), then joined to the micro-grids: every CTE is MATERIALIZED so that
-- a generic plan keeps this shape. (The former per-micro-grid LATERAL count was 6,300 index
-- scans with a cost estimate high enough to switch on JIT compilation, which alone took
-- ~0.5 s of every call.)
-- Scope: only micro-grids inside the caller's area (fragment area_in_scope), and only
-- incidents in the caller's scope (fragment incident_in_scope: held in an area inside it and
-- routed to the caller's department); an assigned incident is held in its micro-grid.
WITH live AS MATERIALIZED (
    SELECT a.id, a.code
    FROM area a
    WHERE a.level = 'micro_grid'
      AND {{live(a)}}
      AND {{area_in_scope(a.code)}}
),
held AS MATERIALIZED (
    SELECT i.micro_grid_id, i.queue_area_id, count(*) AS n
    FROM incident i
    WHERE (CAST(:category AS text) IS NULL
           OR left(i.category_code, length(:category)) = :category)
      AND i.reported_at >= coalesce(CAST(:from_ AS timestamptz), '-infinity')
      AND i.reported_at < coalesce(CAST(:to_ AS timestamptz), 'infinity')
      AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
      AND {{incident_in_department(i)}}
    GROUP BY i.micro_grid_id, i.queue_area_id
),
in_scope AS MATERIALIZED (
    SELECT h.micro_grid_id, h.queue_area_id, h.n
    FROM held h
    WHERE {{held_in_scope(h.queue_area_id)}}
),
assigned AS MATERIALIZED (
    SELECT s.micro_grid_id AS area_id, sum(s.n) AS n
    FROM in_scope s
    WHERE {{assigned_live(s.micro_grid_id)}}
    GROUP BY s.micro_grid_id
),
-- where orphans are held: no micro-grid, or one that is not live in :g (a few groups)
orphan_groups AS MATERIALIZED (
    SELECT s.micro_grid_id, s.queue_area_id
    FROM in_scope s
    WHERE NOT {{assigned_live(s.micro_grid_id)}}
),
orphans AS MATERIALIZED (
    SELECT i.geom
    FROM orphan_groups og
    JOIN incident i
      ON i.queue_area_id = og.queue_area_id
     AND (i.micro_grid_id = og.micro_grid_id
          OR (i.micro_grid_id IS NULL AND og.micro_grid_id IS NULL))
    WHERE (CAST(:category AS text) IS NULL
           OR left(i.category_code, length(:category)) = :category)
      AND i.reported_at >= coalesce(CAST(:from_ AS timestamptz), '-infinity')
      AND i.reported_at < coalesce(CAST(:to_ AS timestamptz), 'infinity')
      AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
      AND {{incident_in_department(i)}}
),
orphan_counts AS MATERIALIZED (
    SELECT placed.area_id, count(*) AS n
    FROM (
        SELECT {{live_micro_grid_covering(o.geom)}} AS area_id
        FROM orphans o
    ) placed
    WHERE placed.area_id IS NOT NULL
    GROUP BY placed.area_id
)
SELECT l.id, l.code, (coalesce(ac.n, 0) + coalesce(oc.n, 0))::int AS n
FROM live l
LEFT JOIN assigned ac ON ac.area_id = l.id
LEFT JOIN orphan_counts oc ON oc.area_id = l.id
ORDER BY l.code
