-- The attachment :id when its incident lies inside the caller's scope (else no row: an
-- attachment of a case the caller may not see is "does not exist", as a missing one).
SELECT a.id, a.sha256, a.media_type, a.bytes
FROM attachment a
JOIN incident i ON i.id = a.incident_id
WHERE a.id = :id AND {{incident_in_scope(i)}}
