-- Which of the incident :codes exist inside the caller's scope.
SELECT i.code FROM incident i
WHERE i.code = ANY(CAST(:codes AS text[])) AND {{incident_in_scope(i)}}
