-- Forget one key's rate-limit counter (access/ratelimit.py).
DELETE FROM rate_limit WHERE key = :key
