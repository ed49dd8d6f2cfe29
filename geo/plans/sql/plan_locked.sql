-- The plan :id, when its scope lies inside the caller's scope, locked for the transaction.
{{plan_row}}
FOR UPDATE OF p
