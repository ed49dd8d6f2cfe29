-- The departments summoned by the whistles :ids, 主办 first, with their deadlines, their
-- acknowledgement, their first check-in on site (its time and judgement), how many
-- check-ins they sent, and whether they left.
SELECT wd.whistle_id, d.code, d.name, wd.lead, wd.acknowledge_due, wd.respond_due,
       wd.arrive_due, wd.acknowledged_at, wd.left_at, wd.left_early,
       c.at AS arrived_at, c.judgement, coalesce(n.checkins, 0) AS checkins
FROM whistle_department wd
JOIN department d ON d.id = wd.department_id
LEFT JOIN LATERAL (
    SELECT at, judgement FROM whistle_checkin
    WHERE whistle_id = wd.whistle_id AND department_id = wd.department_id
      AND judgement <> 'outside'
    ORDER BY at, id LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS checkins FROM whistle_checkin
    WHERE whistle_id = wd.whistle_id AND department_id = wd.department_id
) n ON true
WHERE wd.whistle_id = ANY(CAST(:ids AS bigint[]))
ORDER BY wd.whistle_id, wd.lead DESC, d.code
