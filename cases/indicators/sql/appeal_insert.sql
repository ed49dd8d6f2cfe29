-- An appeal against one row of a published ranking.
INSERT INTO score_appeal (quarter, kind, within, code, reason, by)
VALUES (:quarter, :kind, :within, :code, :reason, :by)
RETURNING id, quarter, kind, within, code, reason, by, at, outcome, outcome_note, decided_by,
          decided_at
