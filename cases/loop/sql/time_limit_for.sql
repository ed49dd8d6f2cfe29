-- The time limit of one step for one category and urgency: the category's own row, else its
-- major class's (the first two digits), else the row for any category ('*').
SELECT amount, unit, yellow_after, red_after
FROM time_limit
WHERE step = :step
  AND urgent = :urgent
  AND category_code IN (:category, left(:category, 2), '*')
ORDER BY category_code = '*', length(category_code) DESC
LIMIT 1
