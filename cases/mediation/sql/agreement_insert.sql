-- The agreement of file :file_id, reached at attempt :attempt_id.
INSERT INTO mediation_agreement (file_id, attempt_id, form, terms, effective_on,
                                 confirmation_due, recorded_by)
VALUES (:file_id, :attempt_id, :form, :terms, :effective_on, :confirmation_due, :actor)
