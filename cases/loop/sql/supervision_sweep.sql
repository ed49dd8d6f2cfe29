-- The supervision sweep (cases.loop.supervision): every notice now due, each issued once.
-- Watched deadlines of an open case that is not hung (the clock stands still while hung):
--   its current step's deadline (step_due_at, the step following from the status), and
--   the handling deadline (deadline_at) once the handling clock has started at dispatch.
-- Each deadline's limit (fragment resolved_limits) says which notices it gets:
--   warning  within 48 hours before the deadline (:warn_until = now + 48 h), for limits of two
--            working days or more (a shorter one would be warned of as soon as it starts);
--   urge     (催办) one working day after it (:urge_before = that far behind now);
--   notice   (通报, a published notice) five working days after it (:notice_before);
--   yellow / red  yellow_after / red_after working days after it (:days with :cutoffs, the
--            latest deadline that far behind now, one per distinct value).
-- supervision_notice's key (incident, kind, deadline) makes each notice once: those issued
-- before are left out by an anti-join, and a sweep running elsewhere meanwhile by the key
-- (ON CONFLICT DO NOTHING); each new one is a trail entry
-- (kind 'supervision', action 'card'), and each case noticed gets version + 1 and its card
-- raised (never lowered). Returns the new notices with the desk of their case.
WITH cut AS (
    SELECT c.days, c.cutoff
    FROM unnest(CAST(:days AS numeric[]), CAST(:cutoffs AS timestamptz[])) AS c(days, cutoff)
),
limits AS MATERIALIZED (
    {{resolved_limits()}}
),
watched AS MATERIALIZED (
    SELECT i.id, i.category_code, i.urgent,
           CASE i.status
               WHEN 'reported' THEN 'accept' WHEN 'accepted' THEN 'file'
               WHEN 'filed' THEN 'dispatch' WHEN 'returned' THEN 'dispatch'
               WHEN 'dispatched' THEN 'sign' WHEN 'handled' THEN 'verify'
               ELSE 'handle' END AS step,
           i.step_due_at AS due_at
    FROM incident i
    WHERE i.status IN ('reported', 'accepted', 'filed', 'returned', 'dispatched', 'in_progress',
                       'rework', 'reopened', 'handled')
      AND i.step_due_at <= :warn_until
    UNION ALL
    SELECT i.id, i.category_code, i.urgent, 'handle', i.deadline_at
    FROM incident i
    WHERE i.status IN ('dispatched', 'returned', 'in_progress', 'rework', 'reopened')
      AND i.handling_started_at IS NOT NULL
      AND i.deadline_at <= :warn_until
),
limited AS (
    SELECT w.id, w.due_at, l.amount, l.unit, l.yellow_after, l.red_after
    FROM watched w
    JOIN limits l
      ON l.category_code = w.category_code AND l.urgent = w.urgent AND l.step = w.step
),
due AS (
    SELECT id, due_at, 'warning' AS kind
    FROM limited
    WHERE due_at > :now AND unit = 'work_days' AND amount >= 2
    UNION ALL
    SELECT id, due_at, 'urge' FROM limited WHERE due_at <= :urge_before
    UNION ALL
    SELECT id, due_at, 'notice' FROM limited WHERE due_at <= :notice_before
    UNION ALL
    SELECT l.id, l.due_at, 'yellow'
    FROM limited l JOIN cut c ON c.days = l.yellow_after
    WHERE l.due_at <= c.cutoff
    UNION ALL
    SELECT l.id, l.due_at, 'red'
    FROM limited l JOIN cut c ON c.days = l.red_after
    WHERE l.due_at <= c.cutoff
),
notices AS (
    INSERT INTO supervision_notice (incident_id, kind, due_at, at)
    SELECT DISTINCT d.id, d.kind, d.due_at, CAST(:now AS timestamptz)
    FROM due d
    WHERE NOT EXISTS (  -- issued before: a hash anti-join, far cheaper than 100,000 conflicts
        SELECT 1 FROM supervision_notice s
        WHERE s.incident_id = d.id AND s.kind = d.kind AND s.due_at = d.due_at)
    ON CONFLICT DO NOTHING
    RETURNING incident_id, kind, due_at
),
trail AS (
    INSERT INTO incident_event (incident_id, incident_reported_at, at, actor, kind, action,
                                from_status, to_status, reason, data)
    SELECT n.incident_id, i.reported_at, :now, 'system', 'supervision', 'card', i.status::text,
           i.status::text,
           CASE n.kind
               WHEN 'warning' THEN '预警：距期限不足48小时'
               WHEN 'urge' THEN '催办：已超过期限一个工作日'
               WHEN 'notice' THEN '通报：超过期限五个工作日'
               WHEN 'yellow' THEN '黄牌：超过期限达到黄牌时限'
               ELSE '红牌：超过期限达到红牌时限' END,
           jsonb_build_object('card', n.kind, 'due_at', n.due_at)
    FROM notices n
    JOIN incident i ON i.id = n.incident_id
    RETURNING incident_id
),
bumped AS (
    UPDATE incident i
    SET version = i.version + 1,
        card = CASE
            WHEN i.card = 'red' OR 'red' = ANY (x.kinds) THEN 'red'
            WHEN i.card = 'yellow' OR 'yellow' = ANY (x.kinds) THEN 'yellow'
            ELSE i.card END
    FROM (SELECT incident_id, array_agg(kind) AS kinds FROM notices GROUP BY incident_id) AS x
    WHERE i.id = x.incident_id
    RETURNING i.id, i.queue_area_id, i.department_id
)
SELECT n.incident_id, n.kind, b.queue_area_id, b.department_id,
       (SELECT count(*) FROM trail) AS entries
FROM notices n
JOIN bumped b ON b.id = n.incident_id
ORDER BY n.incident_id, n.kind
