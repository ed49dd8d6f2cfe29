-- Which of :ids are attachments of incident :incident_id uploaded by :uploaded_by.
SELECT id FROM attachment
WHERE id = ANY(CAST(:ids AS bigint[])) AND incident_id = :incident_id
  AND uploaded_by = :uploaded_by
