-- 在线报到: once per member; a second one inserts nothing (the caller answers 409).
INSERT INTO party_registration (member_id, micro_grid_id, skills, availability)
VALUES (:member_id, :micro_grid_id, :skills, :availability)
ON CONFLICT (member_id) DO NOTHING
RETURNING id
