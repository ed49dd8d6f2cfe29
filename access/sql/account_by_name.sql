-- The account named :username.
{{account}}
WHERE a.username = :username
