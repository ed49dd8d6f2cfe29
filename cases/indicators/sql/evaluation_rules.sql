-- The annual evaluation's rules as data (weights, grades, department_weights).
SELECT r.key, r.value FROM evaluation_rule r
