-- Judicial confirmation (司法确认) of file :file_id's agreement: its status and date.
UPDATE mediation_agreement SET confirmation = :confirmation, confirmation_on = :confirmation_on
WHERE file_id = :file_id
