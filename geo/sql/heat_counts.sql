-- Matching incidents per live micro-grid of generation :g, every micro-grid listed (count 0
-- when none), in code order, with its outline as RFC 7946 geometry text.
-- An incident counts for the micro-grid it was assigned to when that micro-grid is live in :g
-- (the assignment already settled shared edges and points just outside the banner); else,
-- after a redraw, for the live micro-grid covering its point, lowest code first ("orphans").
-- The per-micro-grid count is a LATERAL index lookup, so the plan keeps its shape when
-- PostgreSQL switches a prepared statement to a generic plan (a join of the grouped counts
-- was planned as a 6,300 x 1,000 nested loop there).
-- Scope (as geo.scope): only micro-grids inside :scope_prefix, and only incidents held in an
-- area inside it (an assigned incident is held in its micro-grid) and, with
-- :scope_department, routed to that department.
WITH orphans AS MATERIALIZED (
    SELECT i.geom
    FROM incident i
    WHERE (CAST(:category AS text) IS NULL
           OR left(i.category_code, length(:category)) = :category)
      AND (CAST(:from_ AS timestamptz) IS NULL OR i.reported_at >= :from_)
      AND (CAST(:to_ AS timestamptz) IS NULL OR i.reported_at < :to_)
      AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
      AND (CAST(:scope_department AS text) IS NULL
           OR i.department_id = (SELECT d.id FROM department d WHERE d.code = :scope_department))
      AND (CAST(:scope_prefix AS text) IS NULL
           OR EXISTS (SELECT 1 FROM area q
                      WHERE q.id = i.queue_area_id
                        AND left(q.code, length(:scope_prefix)) = :scope_prefix))
      AND NOT EXISTS (
          SELECT 1 FROM area o
          WHERE o.id = i.micro_grid_id
            AND o.generation_low <= :g AND (o.generation_high IS NULL OR o.generation_high >= :g))
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
SELECT a.code,
       a.name,
       a.population,
       (assigned.n + coalesce(oc.n, 0))::int AS n,
       CASE WHEN a.population > 0
            THEN ((assigned.n + coalesce(oc.n, 0)) * 1000)::float8 / a.population END AS rate,
       ST_AsGeoJSON(
           ST_ForcePolygonCCW(
               CASE WHEN :tolerance > 0
                    THEN ST_SimplifyPreserveTopology(a.geom, :tolerance)
                    ELSE a.geom END),
           7, 0) AS geometry
FROM area a
CROSS JOIN LATERAL (
    SELECT count(*) AS n
    FROM incident i
    WHERE i.micro_grid_id = a.id
      AND (CAST(:category AS text) IS NULL
           OR left(i.category_code, length(:category)) = :category)
      AND (CAST(:from_ AS timestamptz) IS NULL OR i.reported_at >= :from_)
      AND (CAST(:to_ AS timestamptz) IS NULL OR i.reported_at < :to_)
      AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
      AND (CAST(:scope_department AS text) IS NULL
           OR i.department_id = (SELECT d.id FROM department d WHERE d.code = :scope_department))
) assigned
LEFT JOIN orphan_counts oc ON oc.area_id = a.id
WHERE a.level = 'micro_grid'
  AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
  AND (CAST(:scope_prefix AS text) IS NULL
       OR left(a.code, length(:scope_prefix)) = :scope_prefix)
ORDER BY a.code
