-- Facilities (物) inside the caller's scope (their micro-grid's code, fragment
-- area_in_scope), optionally one (:code), of one micro-grid, of one live grid and of one
-- kind; keyset-paged by code after :after. Every field is P0/P1: served as stored.
SELECT f.code, f.kind, f.owner_unit, f.state, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
       mg.code AS micro_grid_code
FROM facility f
JOIN area mg ON mg.id = f.micro_grid_id
WHERE {{area_in_scope(mg.code)}}
  AND (CAST(:code AS text) IS NULL OR f.code = :code)
  AND (CAST(:micro_grid AS text) IS NULL OR mg.code = :micro_grid)
  AND (CAST(:grid AS text) IS NULL OR mg.parent_id = (
        SELECT g.id FROM area g WHERE g.code = :grid AND g.level = 'grid'
          AND g.generation_high IS NULL))
  AND (CAST(:kind AS text) IS NULL OR f.kind = :kind)
  AND (CAST(:after AS text) IS NULL OR f.code > :after)
ORDER BY f.code
LIMIT :limit
