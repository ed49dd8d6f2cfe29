-- @fragment indicator_flags()
-- The one definition of every indicator of WORKFLOW.md §2 (cases.indicators.registry names
-- them): WITH-list items ending in `f`, one row per case in view with its `key` (the group:
-- '' for none, the department's code, or the code of its area at one level, :key_len
-- characters of the queue area's code) and one boolean per set an indicator counts, read
-- from the trail alone (incident_event: kind 'reported', 'action' and 'supervision'
-- entries; `due_at` is the step deadline an action answered, `deadline_at` the handling
-- deadline after it), for each period k (1, 2 …) of [:starts[k], :ends[k]) in China time;
-- :as_ofs[k] = least(end, now) is when "still within the deadline" and "overdue" are
-- judged. Cases in view: held in :area (a code prefix, the node and its descendants), inside
-- the caller's scope, reported before the period's end; for a department (:department, or
-- :group_by 'department') a case counts in a period for the department that held it at the
-- period's end (fragments/held_by, the trail's say), never for today's routing, so a
-- re-routed category or a later transfer leaves earlier periods alone. A case
-- handled before the period is not due in it again because its deadline falls in it. "On
-- time" is the case's last handling in the period (last closing) at or before its deadline:
-- a handling that failed 核查 and was redone late is late. A case whose trail ended, closed
-- or void, before a period counts in none of its sets and is left out of it early.
p AS (
    SELECT p.k, p.start, p.end_, p.as_of
    FROM unnest(CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]),
                CAST(:as_ofs AS timestamptz[])) WITH ORDINALITY AS p(start, end_, as_of, k)
),
c AS (
    SELECT i.id, i.reported_at, l.at AS last_at, l.to_status AS last_status,
           CASE CAST(:group_by AS text)
               WHEN 'area' THEN left(q.code, CAST(:key_len AS int))
               ELSE '' END AS key
    FROM incident i
    JOIN area q ON q.id = i.queue_area_id
    LEFT JOIN LATERAL (
        SELECT e.at, e.to_status FROM incident_event e
        WHERE e.incident_id = i.id AND e.to_status IS NOT NULL
          AND e.at < (SELECT max(p.end_) FROM p)
        ORDER BY e.id DESC LIMIT 1
    ) l ON true
    WHERE i.reported_at < (SELECT max(p.end_) FROM p)
      AND (CAST(:area AS text) IS NULL OR left(q.code, length(:area)) = :area)
      AND (CAST(:department AS text) IS NULL OR EXISTS (
               SELECT 1 FROM incident_event e
               WHERE e.incident_id = i.id
                 AND e.to_department_id = (SELECT d.id FROM department d
                                           WHERE d.code = :department)))
      AND {{incident_in_scope(i)}}
),
t AS (
    SELECT e.incident_id AS id, p.k, p.start, p.end_, p.as_of,
           bool_or(e.kind = 'reported' AND e.at >= p.start) AS reported_in,
           bool_or(e.action = 'accept' AND e.at >= p.start) AS accepted_in,
           bool_or(e.action = 'file' AND e.at >= p.start) AS filed_in,
           bool_or(e.action = 'file' AND e.at >= p.start AND e.at <= e.due_at) AS filed_on_time_in,
           bool_or(e.action = 'dispatch') AS dispatched_ever,
           bool_or(e.action = 'dispatch' AND e.at >= p.start) AS dispatched_in,
           bool_or(e.action = 'return' AND e.at >= p.start) AS returned_in,
           bool_or(e.action = 'handle' AND e.at >= p.start) AS handled_in,
           coalesce((array_agg(e.at <= e.due_at ORDER BY e.id DESC)
               FILTER (WHERE e.action = 'handle' AND e.at >= p.start))[1], false)
               AS handled_on_time_in,
           bool_or(e.action = 'apply_delay') AS delay_applied,
           bool_or(e.action = 'hang') AS hung_ever,
           bool_or(e.kind = 'action' AND e.to_status = 'rework') AS reworked_ever,
           bool_or(e.kind = 'action' AND e.to_status = 'closed') AS closed_ever,
           coalesce((array_agg(e.at <= e.deadline_at ORDER BY e.id DESC)
               FILTER (WHERE e.kind = 'action' AND e.to_status = 'closed'))[1], false)
               AS closed_on_time_ever,
           bool_or(e.kind = 'action' AND e.to_status = 'closed' AND e.at >= p.start) AS closed_in,
           bool_or(e.action = 'reopen' AND e.at >= p.start) AS reopened_in,
           (array_agg(e.data ->> 'evaluation' ORDER BY e.id DESC)
               FILTER (WHERE e.kind = 'action' AND e.data ? 'evaluation' AND e.at >= p.start))[1]
               AS evaluation_in,
           bool_or(e.action = 'card' AND e.data ->> 'card' = 'yellow' AND e.at >= p.start)
               AS yellow_in,
           bool_or(e.action = 'card' AND e.data ->> 'card' = 'red' AND e.at >= p.start) AS red_in,
           (array_agg(e.to_status ORDER BY e.id DESC)
               FILTER (WHERE e.to_status IS NOT NULL))[1] AS status_end,
           (array_agg(e.to_status ORDER BY e.id DESC)
               FILTER (WHERE e.to_status IS NOT NULL AND e.at < p.start))[1] AS status_start,
           (array_agg(e.deadline_at ORDER BY e.id DESC)
               FILTER (WHERE e.deadline_at IS NOT NULL))[1] AS deadline_end,
           coalesce((array_agg(e.data -> 'level' ->> 'to' ORDER BY e.id DESC)
               FILTER (WHERE e.data ? 'level'))[1], 'micro_grid') AS level_end
    FROM c
    JOIN p ON c.reported_at < p.end_
          AND NOT (c.last_status IN ('closed', 'evaluated', 'void') AND c.last_at < p.start)
    JOIN incident_event e ON e.incident_id = c.id AND e.at < p.end_
    GROUP BY e.incident_id, p.k, p.start, p.end_, p.as_of
),
s AS (
    SELECT t.*,
           t.dispatched_ever
               AND (t.handled_in
                    OR (t.deadline_end >= t.start AND t.deadline_end < t.end_
                        AND coalesce(t.status_start, '') NOT IN ('handled', 'closed', 'evaluated')))
               AS due_handling,
           t.filed_in AND NOT (t.status_end NOT IN ('closed', 'evaluated')
                               AND t.deadline_end >= t.as_of) AS due_closing,
           t.status_end IN ('dispatched', 'returned', 'in_progress', 'rework', 'reopened')
               AS open_end,
           -- the department holding the case at the period's end, by the trail; looked up
           -- only when a department is asked for (a banner-wide figure pays nothing)
           CASE WHEN CAST(:group_by AS text) = 'department'
                     OR CAST(:department AS text) IS NOT NULL
                THEN {{held_by(t.id, t.end_)}} END AS department
    FROM t
),
-- Mediation (WORKFLOW.md §2, as cases.mediation.stats counts them): the dispute files
-- accepted in the period (intake date, China time), those settled, and those settled at the
-- township or below (the attempt that settled it was at village or township level).
m AS (
    SELECT mf.incident_id AS id, p.k, mf.outcome = 'settled' AS settled,
           coalesce((SELECT a.level FROM mediation_attempt a
                     WHERE a.file_id = mf.id AND a.outcome = 'settled'
                     ORDER BY a.held_at LIMIT 1) IN ('village', 'township'), false) AS local
    FROM mediation_file mf
    JOIN p ON mf.intake_on >= CAST(p.start AT TIME ZONE 'Asia/Shanghai' AS date)
          AND mf.intake_on < CAST(p.end_ AT TIME ZONE 'Asia/Shanghai' AS date)
    WHERE mf.incident_id IN (SELECT c.id FROM c)
),
-- Whistles (WORKFLOW.md §2) blown in the period on the case, NUMBERS not flags: the
-- whistles, the departments summoned (each owes a check-in) and those that checked in on time.
w AS (
    SELECT wh.incident_id AS id, p.k, count(DISTINCT wh.id) AS whistles,
           count(*) AS checkins_required,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM whistle_checkin ck
               WHERE ck.whistle_id = wd.whistle_id AND ck.department_id = wd.department_id
                 AND ck.judgement = 'on_time')) AS checkins_on_time
    FROM whistle wh
    JOIN p ON wh.blown_at >= p.start AND wh.blown_at < p.end_
    JOIN whistle_department wd ON wd.whistle_id = wh.id
    WHERE wh.incident_id IN (SELECT c.id FROM c)
    GROUP BY wh.incident_id, p.k
),
f AS (
    SELECT c.id, s.k,
           CASE WHEN CAST(:group_by AS text) = 'department' THEN s.department ELSE c.key END
               AS key,
           s.reported_in AS reported,
           s.accepted_in AS accepted,
           s.filed_in AS filed,
           s.accepted_in AND s.filed_in AS accepted_filed,
           s.filed_in AND s.filed_on_time_in AS filed_on_time,
           s.dispatched_in AS dispatched,
           s.dispatched_in AND s.returned_in AS returned,
           s.dispatched_in AND NOT s.returned_in AS dispatched_right,
           s.due_handling,
           s.due_handling AND s.handled_in AS handled,
           s.due_handling AND s.handled_on_time_in AS handled_on_time,
           s.due_handling AND s.delay_applied AS delayed,
           s.due_handling AND s.open_end AND s.deadline_end < s.as_of AS overdue_open,
           s.due_closing,
           s.due_closing AND s.closed_ever AS closed,
           s.due_closing AND s.closed_on_time_ever AS closed_on_time,
           s.due_closing AND s.reworked_ever AS reworked,
           s.filed_in AND s.hung_ever AS hung,
           s.evaluation_in IS NOT NULL AS evaluated,
           s.evaluation_in IN ('satisfied', 'basically_satisfied') AS satisfied,
           s.closed_in AS closed_in,
           s.closed_in AND s.reopened_in AS reopened,
           s.closed_in AND s.level_end IN ('micro_grid', 'grid') AS closed_in_grid,
           s.closed_in AND s.level_end <> 'banner' AS closed_in_township,
           s.closed_in AS closed_in_banner,
           s.yellow_in AS yellow_card,
           s.red_in AS red_card,
           m.id IS NOT NULL AS disputes_accepted,
           coalesce(m.settled, false) AS disputes_settled,
           coalesce(m.settled AND m.local, false) AS disputes_settled_local,
           coalesce(w.whistles, 0) AS whistles,
           coalesce(w.checkins_required, 0) AS checkins_required,
           coalesce(w.checkins_on_time, 0) AS checkins_on_time
    FROM c JOIN s ON s.id = c.id
    LEFT JOIN m ON m.id = c.id AND m.k = s.k
    LEFT JOIN w ON w.id = c.id AND w.k = s.k
    WHERE CAST(:department AS text) IS NULL OR s.department = :department
)
