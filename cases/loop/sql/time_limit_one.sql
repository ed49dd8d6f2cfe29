-- One time-limit row as it stands (the audit's "before"), locked until the change commits.
SELECT category_code, urgent, step, amount, unit, yellow_after, red_after
FROM time_limit
WHERE category_code = :category AND urgent = :urgent AND step = :step
FOR UPDATE
