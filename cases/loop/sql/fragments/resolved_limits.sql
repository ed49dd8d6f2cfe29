-- @fragment resolved_limits()
-- The time limit that applies to each category × urgency × step: the category's own row,
-- else its major class's (the first two digits of a minor code), else the row for any
-- category ('*'). One row per (category_code, urgent, step) that has a limit; the rule is
-- written here alone (cases.loop.limits.limit_for and the supervision sweep use it).
SELECT DISTINCT ON (c.code, u.urgent, s.step)
       c.code AS category_code, u.urgent, s.step,
       t.amount, t.unit, t.yellow_after, t.red_after
FROM category c
CROSS JOIN (VALUES (false), (true)) AS u(urgent)
CROSS JOIN (VALUES ('accept'), ('file'), ('dispatch'), ('sign'), ('handle'), ('verify'),
                   ('evaluate')) AS s(step)
JOIN time_limit t
  ON t.step = s.step AND t.urgent = u.urgent
 AND t.category_code IN (c.code, left(c.code, 2), '*')
ORDER BY c.code, u.urgent, s.step, t.category_code = '*', length(t.category_code) DESC
