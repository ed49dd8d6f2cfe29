-- Remove one year's working-day overrides (before its new list is written).
DELETE FROM work_day
WHERE day >= make_date(:year, 1, 1) AND day < make_date(:year + 1, 1, 1)
