-- @fragment micro_grid_coverage(mg, now=:now)
-- Coverage of the micro-grids listed by the relation {mg} (columns id, code), one row each:
-- households, claimed (认领), visited inside their cadence window (走访), overdue (the rest),
-- last contact, members assigned (the party members whose area is the micro-grid and the grid
-- workers of its grid: those who do the routines) and uncovered: no member, or no contact in
-- the 14 days before {now}. Households, visited and overdue come from household_seen.
SELECT mg.id, mg.code,
       count(h.id) AS households,
       count(h.claimed_by_member_id) AS claimed,
       count(h.id) FILTER (WHERE NOT h.overdue) AS visited,
       count(h.id) FILTER (WHERE h.overdue) AS overdue,
       max(h.seen_at) AS last_contact,
       (SELECT count(*) FROM member m WHERE m.kind IN ('grid_worker', 'party_member') AND m.area_id IN (mg.id, (SELECT a.parent_id FROM area a WHERE a.id = mg.id))) AS members,
       ((SELECT count(*) FROM member m WHERE m.kind IN ('grid_worker', 'party_member') AND m.area_id IN (mg.id, (SELECT a.parent_id FROM area a WHERE a.id = mg.id))) = 0
        OR max(h.seen_at) IS NULL
        OR max(h.seen_at) <= {now} - interval '14 days') AS uncovered
FROM {mg} mg
LEFT JOIN ({{household_seen({mg}, {now})}}) h ON h.micro_grid_id = mg.id
GROUP BY mg.id, mg.code
