-- Revoke the token id :jti until :exp (seconds since the epoch), when it would expire anyway.
INSERT INTO revoked_token (jti, expires_at) VALUES (:jti, to_timestamp(:exp))
ON CONFLICT DO NOTHING
