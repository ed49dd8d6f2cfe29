-- A follow-up call (回访) on file :file_id's agreement.
INSERT INTO mediation_follow_up (file_id, called_on, performed, satisfaction, remaining_risk,
                                 note, recorded_by)
VALUES (:file_id, :called_on, :performed, :satisfaction, :remaining_risk, :note, :actor)
