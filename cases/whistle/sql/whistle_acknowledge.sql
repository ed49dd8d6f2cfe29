-- Acknowledge the summons once: a second acknowledgement keeps the first's time.
UPDATE whistle_department SET acknowledged_at = coalesce(acknowledged_at, :at),
       acknowledged_by = coalesce(acknowledged_by, :by)
WHERE whistle_id = :whistle_id AND department_id = :department_id
