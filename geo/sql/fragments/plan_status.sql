-- @fragment plan_status()
-- The CTEs giving each draft area of plan :plan its status against the plan's base generation;
-- a statement starts with {{plan_status}} and goes on with its own SELECT, UPDATE or further
-- CTEs (", more AS (...)"), joining `status` and `retired` as it needs:
--   unchanged  a copy with the same shape and name as its source, under a parent that is
--              itself unchanged (or the scope): its area row continues;
--   changed    a copy that differs, or whose parent changed: a new row with a new code;
--   new        drawn in the draft: a new row with a new code.
WITH RECURSIVE d AS (
    SELECT pa.id, pa.ref, pa.parent_ref, pa.source_area_id, s.parent_id AS source_parent_id,
           (s.id IS NOT NULL AND pa.name = s.name AND ST_Equals(pa.geom, s.geom)) AS same
    FROM plan_area pa
    LEFT JOIN area s ON s.id = pa.source_area_id
    WHERE pa.plan_id = :plan
),
kept AS (
    SELECT d.id, d.ref, d.source_area_id
    FROM d JOIN plan p ON p.id = :plan
    WHERE d.same AND d.parent_ref = p.scope_code AND d.source_parent_id = p.scope_area_id
    UNION ALL
    SELECT d.id, d.ref, d.source_area_id
    FROM d JOIN kept k ON d.parent_ref = k.ref AND d.source_parent_id = k.source_area_id
    WHERE d.same
),
status AS (
    SELECT d.id, d.ref,
           CASE WHEN k.id IS NOT NULL THEN 'unchanged'
                WHEN d.source_area_id IS NULL THEN 'new'
                ELSE 'changed' END AS status
    FROM d LEFT JOIN kept k ON k.id = d.id
),
-- Live areas of the base generation under the scope that no unchanged draft area continues.
retired AS (
    SELECT a.id, a.code, a.name, a.level, a.parent_id, a.geom
    FROM plan p
    JOIN area a ON left(a.code, length(p.scope_code)) = p.scope_code AND a.code <> p.scope_code
    WHERE p.id = :plan
      AND {{live(a, p.base_generation)}}
      AND NOT EXISTS (SELECT 1 FROM kept k WHERE k.source_area_id = a.id)
)
