-- One summoned department's row on whistle :whistle_id, locked (no row: not summoned).
SELECT wd.department_id, d.code, wd.acknowledged_at, wd.arrive_due, wd.left_at
FROM whistle_department wd
JOIN department d ON d.id = wd.department_id
WHERE wd.whistle_id = :whistle_id AND d.code = :department
FOR UPDATE OF wd
