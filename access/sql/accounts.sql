-- Every account, in the order they were made.
{{account}}
ORDER BY a.id
