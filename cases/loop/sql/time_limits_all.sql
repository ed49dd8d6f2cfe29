-- Every time limit, '*' (any category) first, then by category, urgency and step in the
-- order a case meets them.
SELECT category_code, urgent, step, amount, unit, yellow_after, red_after
FROM time_limit
ORDER BY category_code <> '*', category_code, urgent,
         array_position(ARRAY['accept', 'file', 'dispatch', 'sign', 'handle', 'verify',
                              'evaluate'], step)
