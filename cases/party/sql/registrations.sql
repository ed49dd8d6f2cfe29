-- Registrations at micro-grids inside the caller's scope (optionally under :within), newest
-- first (:id: that one only). Names are masked by the caller.
SELECT r.id,
       m.id AS member_id,
       m.name,
       mg.code AS micro_grid_code,
       mg.name AS micro_grid_name,
       r.skills,
       r.availability,
       r.registered_at
FROM party_registration r
JOIN member m ON m.id = r.member_id
JOIN area mg ON mg.id = r.micro_grid_id
WHERE {{area_in_scope(mg.code)}}
  AND (CAST(:within AS text) IS NULL OR left(mg.code, length(:within)) = :within)
  AND (CAST(:id AS bigint) IS NULL OR r.id = :id)
ORDER BY r.registered_at DESC, r.id DESC
LIMIT :limit OFFSET :offset
