-- The account the refresh token :jti was issued to, spent or not.
SELECT account_id FROM refresh_token WHERE jti = :jti
