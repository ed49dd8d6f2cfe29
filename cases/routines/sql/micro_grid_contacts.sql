-- The coverage of every live micro-grid inside the member's area (:member_area) and the
-- caller's scope (fragment micro_grid_coverage), with its name, in code order.
WITH mg AS MATERIALIZED (
    SELECT a.id, a.code FROM area a
    WHERE a.level = 'micro_grid' AND {{live(a)}}
      AND left(a.code, length(:member_area)) = :member_area
      AND {{area_in_scope(a.code)}}
),
c AS ({{micro_grid_coverage(mg)}})
SELECT c.*, a.name FROM c JOIN area a ON a.id = c.id ORDER BY c.code
