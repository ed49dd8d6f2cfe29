-- Every resolved time limit (fragment resolved_limits), for replaying the sample's trails
-- (cases.loop.history) on the same limits the actions use.
SELECT r.category_code, r.urgent, r.step, r.amount, r.unit, r.yellow_after, r.red_after
FROM ({{resolved_limits()}}) AS r
