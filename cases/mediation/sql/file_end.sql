-- The ladder of file :id ends with :outcome at :at.
UPDATE mediation_file SET outcome = :outcome, ended_at = :at WHERE id = :id
