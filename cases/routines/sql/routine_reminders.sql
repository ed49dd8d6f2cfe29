-- The supervision sweep's routine reminders for the China day :day (micro-grids live in the
-- current generation :g): one row per grid worker or party member with overdue routines in
-- their area (a grid worker's grid, a party member's micro-grid): households past their
-- visit cadence (fragment household_seen) and micro-grids with no contact in the 7 days
-- before :now (each needs one a week). A member
-- already reminded that day is skipped by the key (member_id, day): at most one a day, not
-- one per household.
WITH mg AS MATERIALIZED (
    SELECT a.id, a.parent_id FROM area a WHERE a.level = 'micro_grid' AND {{live(a)}}
),
seen AS MATERIALIZED ({{household_seen(mg)}}),
per_mg AS MATERIALIZED (
    SELECT mg.id, mg.parent_id,
           count(s.id) FILTER (WHERE s.overdue) AS overdue,
           (max(s.seen_at) IS NULL OR max(s.seen_at) <= :now - interval '7 days') AS quiet
    FROM mg
    LEFT JOIN seen s ON s.micro_grid_id = mg.id
    GROUP BY mg.id, mg.parent_id
),
served AS (
    SELECT m.id AS member_id, p.overdue, p.quiet
    FROM member m JOIN per_mg p ON p.id = m.area_id
    WHERE m.kind IN ('grid_worker', 'party_member')
    UNION ALL
    SELECT m.id, p.overdue, p.quiet
    FROM member m JOIN per_mg p ON p.parent_id = m.area_id
    WHERE m.kind IN ('grid_worker', 'party_member')
),
due AS (
    SELECT member_id, sum(overdue)::int AS households, (count(*) FILTER (WHERE quiet))::int AS micro_grids
    FROM served
    GROUP BY member_id
    HAVING sum(overdue) > 0 OR bool_or(quiet)
)
INSERT INTO routine_reminder (member_id, day, households, micro_grids, at)
SELECT member_id, :day, households, micro_grids, :now FROM due
ON CONFLICT DO NOTHING
RETURNING member_id
