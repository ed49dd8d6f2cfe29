-- Every working-day override (the work_day table: holidays and make-up working days on top of
-- the chinese-calendar package, or a year it does not cover); a few dozen rows a year, read
-- whole by cases.loop.calendar.load.
SELECT day, working, note
FROM work_day
ORDER BY day
