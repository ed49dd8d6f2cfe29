-- Queue one notification per text of :payloads on channel :channel, in order; PostgreSQL
-- sends them when the transaction commits (cases/live.py says what they hold).
SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) WITH ORDINALITY AS k(p, n)
ORDER BY n
