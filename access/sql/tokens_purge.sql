-- Forget revoked token ids and refresh tokens past their expiry (they fail on exp anyway);
-- how many rows went.
WITH revoked AS (
    DELETE FROM revoked_token WHERE expires_at < now() RETURNING 1
), refresh AS (
    DELETE FROM refresh_token WHERE expires_at < now() RETURNING 1
)
SELECT (SELECT count(*) FROM revoked) + (SELECT count(*) FROM refresh) AS n
