-- Households inside the caller's scope (their house's micro-grid code, fragment
-- area_in_scope), optionally of one micro-grid, of one grid (code prefix), with a person
-- carrying :tag and, when :overdue, only those overdue for a visit at :now (fragment
-- household_seen: the rule the coverage figures count by); keyset-paged by household code
-- after :after.
WITH overdue_mg AS MATERIALIZED (
    SELECT mg.id FROM area mg
    WHERE CAST(:overdue AS boolean) AND mg.level = 'micro_grid' AND mg.generation_high IS NULL
      AND {{area_in_scope(mg.code)}}
      AND (CAST(:micro_grid AS text) IS NULL OR mg.code = :micro_grid)
      AND (CAST(:grid AS text) IS NULL OR left(mg.code, length(:grid)) = :grid)
),
overdue AS MATERIALIZED (
    SELECT s.id FROM ({{household_seen(overdue_mg)}}) s WHERE s.overdue
)
SELECT hh.id, hh.code, hh.head_person_id, hh.claimed_by_member_id, hh.claimed_at,
       ho.id AS house_id, ho.code AS house_code, ho.name AS house_name,
       ST_X(ho.geom) AS lon, ST_Y(ho.geom) AS lat, mg.code AS micro_grid_code,
       ho.use, ho.structure, ho.rented, ho.owner_name, ho.owner_id_number, ho.owner_phone
FROM household hh
JOIN house ho ON ho.id = hh.house_id
JOIN area mg ON mg.id = ho.micro_grid_id
WHERE {{area_in_scope(mg.code)}}
  AND (CAST(:code AS text) IS NULL OR hh.code = :code)
  AND (CAST(:micro_grid AS text) IS NULL OR mg.code = :micro_grid)
  AND (CAST(:grid AS text) IS NULL OR mg.parent_id = (
        SELECT g.id FROM area g WHERE g.code = :grid AND g.level = 'grid'
          AND g.generation_high IS NULL))
  AND (CAST(:tag AS text) IS NULL OR EXISTS (
        SELECT 1 FROM person p JOIN person_tag t ON t.person_id = p.id
        WHERE p.household_id = hh.id AND t.tag = :tag))
  AND (NOT CAST(:overdue AS boolean) OR hh.id IN (SELECT id FROM overdue))
  AND (CAST(:after AS text) IS NULL OR hh.code > :after)
ORDER BY hh.code
LIMIT :limit
