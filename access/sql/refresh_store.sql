-- A refresh token just issued to account :account_id, good until :expires_at.
INSERT INTO refresh_token (jti, account_id, expires_at) VALUES (:jti, :account_id, :expires_at)
