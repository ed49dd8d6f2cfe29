-- One score of one department on one criterion; a second for the same is refused by the
-- unique key (no row).
INSERT INTO whistle_score (whistle_id, department_code, criterion, score, reason, by, at)
VALUES (:whistle_id, :department_code, :criterion, :score, :reason, :by, :at)
ON CONFLICT (whistle_id, department_code, criterion) DO NOTHING
RETURNING id
