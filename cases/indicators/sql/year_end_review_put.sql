-- Record (or correct) one unit's year-end review score.
INSERT INTO year_end_review (year, kind, code, score, by)
VALUES (:year, :kind, :code, :score, :by)
ON CONFLICT (year, kind, code) DO UPDATE SET score = EXCLUDED.score, by = EXCLUDED.by
