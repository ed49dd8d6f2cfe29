-- Rows of keys not hit for a whole window (housekeeping, access/ratelimit.py).
DELETE FROM rate_limit WHERE expires_at < statement_timestamp()
