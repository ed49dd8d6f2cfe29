-- @fragment household_seen(mg, now=:now)
-- The households of the micro-grids in the relation {mg} (column id): each with its live
-- micro-grid (its house's), its claim (认领), its visit cadence in days and when it was last
-- contacted at or before {now}, and whether it is overdue: never contacted, or not in the
-- last every_days before {now} (the rest are "visited inside their window"). The cadence is
-- the strictest of its persons' tags (tag_kind.visit_every_days) and the ordinary
-- households' (tag 'ordinary'; 182 days when that row is missing). One home for the rule
-- that the coverage listing, its OGC collection and tiles, the "my area" list, the
-- households' overdue filter and the supervision sweep share.
-- Tags and last contacts are grouped over the households of {mg} only (a semi-join): for a
-- grid the planner looks them up by index, for the whole banner it hashes (a LATERAL lookup
-- per household cost the banner ten times as much).
SELECT h.id, h.code, h.head_person_id, ho.micro_grid_id, ho.name AS house_name,
       h.claimed_by_member_id,
       LEAST(o.days, t.days) AS every_days,
       s.at AS seen_at,
       (s.at IS NULL OR s.at <= {now} - LEAST(o.days, t.days) * interval '1 day') AS overdue
FROM household h
JOIN house ho ON ho.id = h.house_id
CROSS JOIN (SELECT coalesce(max(k.visit_every_days) FILTER (WHERE k.tag = 'ordinary'), 182) AS days
            FROM tag_kind k) o
LEFT JOIN (SELECT p.household_id, min(k.visit_every_days) AS days
           FROM person p
           JOIN person_tag pt ON pt.person_id = p.id
           JOIN tag_kind k ON k.tag = pt.tag
           WHERE p.household_id IN (SELECT hh.id FROM household hh JOIN house hs ON hs.id = hh.house_id
                                    WHERE hs.micro_grid_id IN (SELECT id FROM {mg}))
           GROUP BY p.household_id) t ON t.household_id = h.id
LEFT JOIN (SELECT ch.household_id, max(c.at) AS at
           FROM contact_household ch
           JOIN contact c ON c.id = ch.contact_id
           WHERE c.at <= {now}
             AND ch.household_id IN (SELECT hh.id FROM household hh JOIN house hs ON hs.id = hh.house_id
                                     WHERE hs.micro_grid_id IN (SELECT id FROM {mg}))
           GROUP BY ch.household_id) s ON s.household_id = h.id
WHERE ho.micro_grid_id IN (SELECT id FROM {mg})
