-- The agreement of file :file_id, if any.
SELECT a.id, a.attempt_id, t.level, t.rung, a.form, a.terms, a.effective_on,
       a.confirmation_due, a.confirmation, a.confirmation_on
FROM mediation_agreement a JOIN mediation_attempt t ON t.id = a.attempt_id
WHERE a.file_id = :file_id
