-- Every department (code, name), in code order: the rows of a department ranking.
SELECT d.code, d.name FROM department d ORDER BY d.code
