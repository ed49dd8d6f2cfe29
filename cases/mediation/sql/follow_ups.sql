-- The follow-up calls of file :file_id, oldest first.
SELECT called_on, performed, satisfaction, remaining_risk, note, recorded_by
FROM mediation_follow_up WHERE file_id = :file_id ORDER BY called_on, id
