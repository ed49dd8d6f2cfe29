-- The department :code (its code and name), or nothing.
SELECT d.id, d.code, d.name FROM department d WHERE d.code = :code
