-- Every escalation skip rule, '*' first.
SELECT category_code, urgent, target_level, copy_to
FROM escalation_rule
ORDER BY category_code <> '*', category_code, urgent
