INSERT INTO party_task (community_id, title, description, starts_at, created_by)
VALUES (:community_id, :title, :description, :starts_at, :created_by)
RETURNING id
