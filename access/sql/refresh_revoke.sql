-- Revoke the refresh token :jti (once).
UPDATE refresh_token SET revoked_at = now() WHERE jti = :jti AND revoked_at IS NULL
