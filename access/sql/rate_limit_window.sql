-- A key's moving window (access/ratelimit.py): when its oldest hit inside the last :expiry
-- seconds was (epoch seconds; now when there is none) and how many hits lie inside it.
SELECT
    extract(epoch FROM coalesce(min(t), statement_timestamp()))::float8 AS start,
    count(t) AS hits
FROM rate_limit AS r
CROSS JOIN LATERAL unnest(r.hits) AS t
WHERE r.key = :key AND t > statement_timestamp() - make_interval(secs => :expiry)
