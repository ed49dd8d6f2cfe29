-- The start of a report's transaction, in one round trip: wait at most :wait for another
-- request holding the same key (lock_timeout, for this transaction only), forget the key
-- :key if it has expired (older than :ttl), and read the current generation, the year in
-- China time (for the code), the minor category :category (code null when it is not one) and
-- the transaction's time (the report time: the accept deadline counts from it).
WITH wait AS (SELECT set_config('lock_timeout', :wait, true)),
expired AS (
    DELETE FROM idempotency_key WHERE key = :key AND created_at < now() - :ttl RETURNING 1
)
SELECT (SELECT max(id) FROM generation WHERE activated_at <= now()) AS generation,
       extract(year FROM now() AT TIME ZONE :timezone)::int AS year,
       c.code AS category_code, now() AS now
FROM wait LEFT JOIN category c ON c.code = :category AND c.parent_code IS NOT NULL
