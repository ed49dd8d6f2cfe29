-- A follow-up call of sample file :file_id.
INSERT INTO mediation_follow_up (file_id, called_on, performed, satisfaction, remaining_risk,
                                 recorded_by)
VALUES (:file_id, CAST(:called_on AS date), :performed, :satisfaction, :remaining_risk, 'sample')
