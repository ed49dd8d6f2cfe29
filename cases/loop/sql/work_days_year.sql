-- The working-day overrides of one year, locked (FOR UPDATE) when a replacement follows.
SELECT day, working, note
FROM work_day
WHERE day >= make_date(:year, 1, 1) AND day < make_date(:year + 1, 1, 1)
ORDER BY day
