-- Decide an undecided appeal (nothing returned when it does not exist or is decided).
UPDATE score_appeal
SET outcome = :outcome, outcome_note = :note, decided_by = :by, decided_at = now()
WHERE id = :id AND outcome IS NULL
RETURNING id, quarter, kind, within, code, reason, by, at, outcome, outcome_note, decided_by,
          decided_at
