-- @fragment department_in_scope(code)
-- The department code column {code} matches the caller's scope (geo.scope.Scope): a null
-- :scope_department is every department.
(CAST(:scope_department AS text) IS NULL OR {code} = :scope_department)
