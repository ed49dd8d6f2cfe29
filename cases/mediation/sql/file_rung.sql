-- The file :id reached a new rung at :now (its attempts' clock restarts), with the risk known.
UPDATE mediation_file SET rung_since = :now, risk = :risk WHERE id = :id
