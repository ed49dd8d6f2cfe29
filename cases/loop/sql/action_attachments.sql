-- The attachments :ids that incident :incident_id may carry in an action by :uploaded_by: its
-- own, uploaded by the caller (any other id is refused by the caller of this statement).
SELECT id, sha256, media_type, bytes
FROM attachment
WHERE id = ANY(CAST(:ids AS bigint[])) AND incident_id = :incident_id
  AND uploaded_by = :uploaded_by
ORDER BY id
