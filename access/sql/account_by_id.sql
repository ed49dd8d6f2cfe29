-- The account :id.
{{account}}
WHERE a.id = :id
