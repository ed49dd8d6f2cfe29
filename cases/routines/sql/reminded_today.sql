-- Whether the routine reminders of the China day :day have been sent.
SELECT EXISTS (SELECT 1 FROM routine_reminder WHERE day = :day)
