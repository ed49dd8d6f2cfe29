-- One working-day override: a holiday (working false) or a make-up working day (true).
INSERT INTO work_day (day, working, note) VALUES (:day, :working, :note)
