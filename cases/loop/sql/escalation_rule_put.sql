-- Set one escalation skip rule (category × urgency → target level, with a copy list).
INSERT INTO escalation_rule (category_code, urgent, target_level, copy_to)
VALUES (:category, :urgent, :target_level, CAST(:copy_to AS jsonb))
ON CONFLICT (category_code, urgent) DO UPDATE
SET target_level = excluded.target_level, copy_to = excluded.copy_to
