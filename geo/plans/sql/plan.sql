-- The plan :id, when its scope lies inside the caller's scope.
{{plan_row}}
