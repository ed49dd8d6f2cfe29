-- One escalation skip rule (category × urgency), if set.
SELECT category_code, urgent, target_level, copy_to
FROM escalation_rule
WHERE category_code = :category AND urgent = :urgent
