-- The members registered at a micro-grid of the community :community (a village code).
SELECT m.id, m.name, mg.code AS micro_grid_code, mg.name AS micro_grid_name
FROM party_registration r
JOIN member m ON m.id = r.member_id
JOIN area mg ON mg.id = r.micro_grid_id
WHERE left(mg.code, length(:community)) = :community
ORDER BY m.id
