-- The ladder's limits (WORKFLOW.md §5.1–5.2, configurable): attempts and per-attempt deadline
-- per rung, and the whole ladder's ('ladder').
SELECT level, max_attempts, amount, unit FROM mediation_limit
