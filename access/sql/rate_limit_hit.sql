-- One hit on a moving-window rate limit (access/ratelimit.py), as limits' in-memory moving
-- window decides it: admitted when fewer than :limit hits are kept, or the :limit-th newest
-- is older than :expiry seconds. Only the :limit newest hits are kept (older ones can never
-- decide again). ON CONFLICT DO UPDATE locks the key's row, so concurrent hits from any
-- process are counted one after the other. admitted: whether this hit was counted.
INSERT INTO rate_limit AS r (key, hits, expires_at)
VALUES (:key, ARRAY[statement_timestamp()], statement_timestamp() + make_interval(secs => :expiry))
ON CONFLICT (key) DO UPDATE SET
    hits = CASE
        WHEN cardinality(r.hits) < :limit
          OR r.hits[cardinality(r.hits) - :limit + 1]
             <= statement_timestamp() - make_interval(secs => :expiry)
        THEN (r.hits || statement_timestamp())[greatest(1, cardinality(r.hits) + 2 - :limit):]
        ELSE r.hits
    END,
    expires_at = statement_timestamp() + make_interval(secs => :expiry)
RETURNING r.hits[cardinality(r.hits)] = statement_timestamp() AS admitted
