-- The deadlines of a whistle of kind :kind (WORKFLOW.md §3.3, data of migration 0008).
SELECT step, amount, unit FROM whistle_limit WHERE kind = :kind
