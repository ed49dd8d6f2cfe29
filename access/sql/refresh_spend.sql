-- Spend the refresh token :jti once: a row only when it was neither spent nor revoked.
UPDATE refresh_token SET used_at = now()
WHERE jti = :jti AND used_at IS NULL AND revoked_at IS NULL
RETURNING account_id
