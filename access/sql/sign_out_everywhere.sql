-- Void every token of account :account_id issued until now: access and session tokens by
-- their issue time (tokens_valid_after), refresh tokens by revoking them.
WITH account_done AS (
    UPDATE account SET tokens_valid_after = now() WHERE id = :account_id
)
UPDATE refresh_token SET revoked_at = now()
WHERE account_id = :account_id AND revoked_at IS NULL
