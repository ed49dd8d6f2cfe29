-- A party of file :file_id; a member of the registry lends its name and phone when linked.
INSERT INTO mediation_party (file_id, side, kind, member_id, name, phone, id_number, agent)
SELECT :file_id, :side, :kind, CAST(:member_id AS integer),
       COALESCE(:name, m.name), COALESCE(:phone, m.phone), :id_number, :agent
FROM (SELECT 1) one
LEFT JOIN member m ON m.id = CAST(:member_id AS integer)
RETURNING id, name
