-- The time limit of one step for one category and urgency (fragment resolved_limits: the
-- category's own row, else its major class's, else the row for any category).
SELECT r.amount, r.unit, r.yellow_after, r.red_after
FROM ({{resolved_limits()}}) AS r
WHERE r.category_code = :category AND r.urgent = :urgent AND r.step = :step
