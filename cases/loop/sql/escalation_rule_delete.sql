-- Remove one escalation skip rule; the row removed, if there was one.
DELETE FROM escalation_rule
WHERE category_code = :category AND urgent = :urgent
RETURNING category_code, urgent, target_level, copy_to
