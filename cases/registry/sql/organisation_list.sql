-- Units and organisations (组织) inside the caller's scope (their micro-grid's code, fragment
-- area_in_scope; one known by address only, with no micro-grid, is inside the whole banner's
-- scope alone), optionally one (:code), of one micro-grid, of one live grid and of one kind;
-- keyset-paged by code after :after. The legal person and contact phone are raw here (P2):
-- cases.registry.things masks them.
SELECT o.code, o.name, o.address, o.kind, o.key_unit, o.party_members, o.legal_person,
       o.contact_phone, ST_X(o.geom) AS lon, ST_Y(o.geom) AS lat, mg.code AS micro_grid_code
FROM organisation o
LEFT JOIN area mg ON mg.id = o.micro_grid_id
WHERE {{area_in_scope(mg.code)}}
  AND (CAST(:code AS text) IS NULL OR o.code = :code)
  AND (CAST(:micro_grid AS text) IS NULL OR mg.code = :micro_grid)
  AND (CAST(:grid AS text) IS NULL OR mg.parent_id = (
        SELECT g.id FROM area g WHERE g.code = :grid AND g.level = 'grid'
          AND g.generation_high IS NULL))
  AND (CAST(:kind AS text) IS NULL OR o.kind = :kind)
  AND (CAST(:after AS text) IS NULL OR o.code > :after)
ORDER BY o.code
LIMIT :limit
