-- The supervision notices of the sample's cards (cases.loop.history), so that the sweep
-- does not issue a card the history already holds (its key: case, kind, deadline).
INSERT INTO supervision_notice (incident_id, kind, due_at, at)
SELECT * FROM unnest(CAST(:incident_id AS bigint[]), CAST(:kind AS text[]),
                     CAST(:due_at AS timestamptz[]), CAST(:at AS timestamptz[]))
ON CONFLICT DO NOTHING
