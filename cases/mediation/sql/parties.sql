-- The parties of file :file_id, in the order they were recorded.
SELECT id, side, kind, member_id, name, phone, id_number, agent
FROM mediation_party WHERE file_id = :file_id ORDER BY id
