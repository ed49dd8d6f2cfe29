-- A key that intake_start.sql could not claim: the answer stored against :key, and whether
-- the key has expired (older than :ttl). An expired key is deleted here (if no one else did)
-- and claimed again by cases/intake.py; the SELECT still sees the row (the statement's
-- snapshot). No row: someone else deleted it since (claim again too).
WITH expired AS (
    DELETE FROM idempotency_key WHERE key = :key AND created_at < now() - :ttl
)
SELECT request_hash, status_code, response, created_at < now() - :ttl AS expired
FROM idempotency_key WHERE key = :key
