-- The whistle :id, locked for one change, when the caller may see it (else no row): with
-- its case's status and code and the transaction's time.
SELECT w.id, w.incident_id, w.kind, w.area_code, w.blown_by, w.released_at,
       i.code, i.status AS incident_status, now() AS now
FROM whistle w
JOIN incident i ON i.id = w.incident_id
WHERE w.id = :id AND {{whistle_in_scope(w)}}
FOR UPDATE OF w
