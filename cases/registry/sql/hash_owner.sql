-- The household holding the person of ID hash :hash, other than person :id.
SELECT hh.code FROM person p JOIN household hh ON hh.id = p.household_id
WHERE p.id_hash = :hash AND p.id <> :id
