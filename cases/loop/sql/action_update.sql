-- Write an action's outcome on incident :id: the new status and attributes, one version up.
UPDATE incident
SET status = :status, version = version + 1, department_id = :department_id, level = :level,
    closed_level = :closed_level, card = :card, delay_state = :delay_state,
    handling_started_at = :handling_started_at, hung_since = :hung_since,
    step_due_at = :step_due_at, deadline_at = :deadline_at, transfers = :transfers,
    reopened_count = :reopened_count, evaluation = :evaluation
WHERE id = :id
RETURNING version
