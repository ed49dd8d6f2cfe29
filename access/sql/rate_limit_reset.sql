-- Forget every rate-limit counter (access/ratelimit.py; tests and operators).
DELETE FROM rate_limit
