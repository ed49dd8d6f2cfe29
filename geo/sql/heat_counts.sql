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
-- Scope (as geo.scope): only micro-grids inside :scope_prefix, and only incidents held in an
-- area inside it (an assigned incident is held in its micro-grid) and, with
-- :scope_department, routed to that department.
WITH live AS MATERIALIZED (
    SELECT a.id, a.code
    FROM area a
    WHERE a.level = 'micro_grid'
      AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
      AND (CAST(:scope_prefix AS text) IS NULL
           OR left(a.code, length(:scope_prefix)) = :scope_prefix)
),
held AS MATERIALIZED (
    SELECT i.micro_grid_id, i.queue_area_id, count(*) AS n
    FROM incident i
    WHERE (CAST(:category AS text) IS NULL
           OR left(i.category_code, length(:category)) = :category)
      AND (CAST(:from_ AS timestamptz) IS NULL OR i.reported_at >= :from_)
      AND (CAST(:to_ AS timestamptz) IS NULL OR i.reported_at < :to_)
      AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
      AND (CAST(:scope_department AS text) IS NULL
           OR i.department_id = (SELECT d.id FROM department d WHERE d.code = :scope_department))
    GROUP BY i.micro_grid_id, i.queue_area_id
),
in_scope AS MATERIALIZED (
    SELECT h.micro_grid_id, h.queue_area_id, h.n
    FROM held h
    WHERE CAST(:scope_prefix AS text) IS NULL
       OR EXISTS (SELECT 1 FROM area q
                  WHERE q.id = h.queue_area_id
                    AND left(q.code, length(:scope_prefix)) = :scope_prefix)
),
assigned AS MATERIALIZED (
    SELECT s.micro_grid_id AS area_id, sum(s.n) AS n
    FROM in_scope s
    WHERE EXISTS (
        SELECT 1 FROM area o
        WHERE o.id = s.micro_grid_id
          AND o.generation_low <= :g AND (o.generation_high IS NULL OR o.generation_high >= :g))
    GROUP BY s.micro_grid_id
),
-- where orphans are held: no micro-grid, or one that is not live in :g (a few groups)
orphan_groups AS MATERIALIZED (
    SELECT s.micro_grid_id, s.queue_area_id
    FROM in_scope s
    WHERE NOT EXISTS (
        SELECT 1 FROM area o
        WHERE o.id = s.micro_grid_id
          AND o.generation_low <= :g AND (o.generation_high IS NULL OR o.generation_high >= :g))
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
      AND (CAST(:from_ AS timestamptz) IS NULL OR i.reported_at >= :from_)
      AND (CAST(:to_ AS timestamptz) IS NULL OR i.reported_at < :to_)
      AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
      AND (CAST(:scope_department AS text) IS NULL
           OR i.department_id = (SELECT d.id FROM department d WHERE d.code = :scope_department))
),
orphan_counts AS MATERIALIZED (
    SELECT placed.area_id, count(*) AS n
    FROM (
        SELECT (SELECT a.id FROM area a
                WHERE a.level = 'micro_grid'
                  AND a.generation_low <= :g
                  AND (a.generation_high IS NULL OR a.generation_high >= :g)
                  AND ST_Intersects(a.geom, o.geom)
                ORDER BY a.code
                LIMIT 1) AS area_id
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
