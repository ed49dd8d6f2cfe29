INSERT INTO party_claim (task_id, member_id) VALUES (:task_id, :member_id)
RETURNING id, claimed_at
