-- The incident :code with its clear reporter data, when it lies inside the caller's scope
-- (else no row: out of scope is "does not exist").
SELECT i.id, i.reporter_name, i.reporter_phone, i.reporter_id_number
FROM incident i
WHERE i.code = :code AND {{incident_in_scope(i)}}
