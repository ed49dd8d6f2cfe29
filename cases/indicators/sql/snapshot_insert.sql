-- Freeze a ranking: its exact bytes, once (nothing is returned when it already was).
INSERT INTO ranking_snapshot (quarter, kind, within, body, published_by)
VALUES (:quarter, :kind, :within, :body, :by)
ON CONFLICT DO NOTHING
RETURNING quarter
