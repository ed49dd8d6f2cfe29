-- A township's score of a department on one case, once (nothing returned if already scored).
INSERT INTO case_score (incident_id, township_code, department_id, score, reason, by)
VALUES (:incident_id, :township, :department_id, :score, :reason, :by)
ON CONFLICT DO NOTHING
RETURNING id, at
