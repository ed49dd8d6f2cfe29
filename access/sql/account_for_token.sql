-- The account :id (as access.accounts reads it) and whether the token id :jti is revoked, in
-- one round trip: what checking a token that is not kept in memory costs.
SELECT acc.*, EXISTS (SELECT 1 FROM revoked_token r WHERE r.jti = :jti) AS revoked
FROM ({{account}}
      WHERE a.id = :id) acc
