-- A reminder of file :file_id for one deadline, once (the key is file, kind, deadline).
INSERT INTO mediation_notice (file_id, kind, due_at, at) VALUES (:file_id, :kind, :due_at, :now)
ON CONFLICT DO NOTHING
RETURNING file_id
