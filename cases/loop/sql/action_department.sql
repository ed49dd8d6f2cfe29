-- The id of department :code, or no row.
SELECT id FROM department WHERE code = :code
