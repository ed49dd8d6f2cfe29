-- @fragment incident_in_department(i)
-- The incident aliased {i} is routed to the caller's department (:scope_department; null is
-- every department). The department's id is looked up once per statement (an InitPlan), so
-- an index on incident.department_id serves the test.
(CAST(:scope_department AS text) IS NULL
 OR {i}.department_id = (SELECT d.id FROM department d WHERE d.code = :scope_department))
