-- The id of household :code.
SELECT id FROM household WHERE code = :code
