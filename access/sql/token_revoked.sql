-- Whether the token id :jti has been revoked.
SELECT 1 FROM revoked_token WHERE jti = :jti
