-- The agreement of sample file :file_id, reached at its last attempt.
INSERT INTO mediation_agreement (file_id, attempt_id, form, terms, effective_on,
                                 confirmation_due, confirmation, confirmation_on, recorded_by)
SELECT :file_id, a.id, :form, :terms, CAST(:effective_on AS date),
       CAST(:effective_on AS date) + 30, :confirmation,
       CASE WHEN :confirmation = 'not_sought' THEN NULL ELSE CAST(:confirmation_on AS date) END,
       'sample'
FROM mediation_attempt a WHERE a.file_id = :file_id ORDER BY a.held_at DESC LIMIT 1
