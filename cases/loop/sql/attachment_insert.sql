-- One uploaded file of the incident :incident (already checked to be in the caller's scope),
-- by :by. Rows are never updated: the same bytes uploaded twice are two rows naming one file.
INSERT INTO attachment (sha256, media_type, bytes, incident_id, uploaded_by)
VALUES (:sha256, :media_type, :bytes, :incident, :by)
RETURNING id
