-- The escalation skip rule for a case of :category (urgent or not): the category's own row,
-- else its major class's, else the row for any category ('*').
SELECT category_code, target_level, copy_to
FROM escalation_rule
WHERE urgent = :urgent AND category_code IN (:category, left(:category, 2), '*')
ORDER BY (category_code = :category) DESC, (category_code = '*')
LIMIT 1
