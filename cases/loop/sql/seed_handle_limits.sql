-- Each category's handling limit as a time-limit row (WORKFLOW.md §1: "by category"), from
-- category.time_limit_hours: up to 24 hours in working hours, longer ones in working days
-- (hours / 24), with the default cards (yellow 5, red 10 work days past due). A row already
-- there (an administrator's edit) is kept. Migration 0005 runs the same for a taxonomy loaded
-- before it.
INSERT INTO time_limit (category_code, urgent, step, amount, unit, yellow_after, red_after)
SELECT code, false, 'handle',
       CASE WHEN time_limit_hours <= 24 THEN time_limit_hours ELSE time_limit_hours / 24.0 END,
       CASE WHEN time_limit_hours <= 24 THEN 'work_hours' ELSE 'work_days' END,
       5, 10
FROM category
WHERE time_limit_hours IS NOT NULL
ON CONFLICT DO NOTHING
