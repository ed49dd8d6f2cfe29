-- Every step overdue at :now on an open whistle (not released, the case not closed) whose
-- department has not done it, noticed once: 'acknowledge' (not acknowledged), 'respond'
-- (a resident's problem not acknowledged within the working day), 'arrive' (no check-in on
-- site). A notice already written is not written again (the key), so each is counted once.
WITH due AS (
    SELECT wd.whistle_id, wd.department_id, s.kind, s.due_at
    FROM whistle_department wd
    JOIN whistle w ON w.id = wd.whistle_id
    JOIN incident i ON i.id = w.incident_id
    CROSS JOIN LATERAL (VALUES
        ('acknowledge', wd.acknowledge_due, wd.acknowledged_at IS NULL),
        ('respond', wd.respond_due, wd.acknowledged_at IS NULL),
        ('arrive', wd.arrive_due, NOT EXISTS (
            SELECT 1 FROM whistle_checkin c
            WHERE c.whistle_id = wd.whistle_id AND c.department_id = wd.department_id
              AND c.judgement <> 'outside'))
    ) AS s(kind, due_at, pending)
    WHERE w.released_at IS NULL AND wd.left_at IS NULL
      AND i.status NOT IN ('closed', 'evaluated', 'void')
      AND s.due_at IS NOT NULL AND s.due_at < :now AND s.pending
), written AS (
    INSERT INTO whistle_notice (whistle_id, department_id, kind, due_at, at)
    SELECT whistle_id, department_id, kind, due_at, :now FROM due
    ON CONFLICT DO NOTHING
    RETURNING whistle_id, department_id, kind
)
SELECT written.whistle_id, written.kind, d.code AS department
FROM written JOIN department d ON d.id = written.department_id
ORDER BY written.whistle_id, d.code, written.kind
