-- Coverage rolled up to :level ('micro_grid', 'grid', 'village' or 'township'): the live
-- areas of generation :g at that level inside the caller's scope and inside :within (an area
-- code prefix, null for all), each with the sums of its micro-grids' coverage (fragment
-- micro_grid_coverage): households, claimed, visited, overdue, the latest contact, members
-- doing routines inside it (grid workers and party members; a micro-grid's: the fragment's,
-- its own and its grid's) and how many of its
-- micro-grids are uncovered. Micro-grids are matched to their area by code prefix, the way
-- scope is (codes are hierarchical).
WITH mg AS MATERIALIZED (
    SELECT a.id, a.code
    FROM area a
    WHERE a.level = 'micro_grid'
      AND {{live(a)}}
      AND {{area_in_scope(a.code)}}
      AND (CAST(:within AS text) IS NULL OR left(a.code, length(:within)) = :within)
),
per_mg AS MATERIALIZED ({{micro_grid_coverage(mg)}}),
up AS (
    SELECT a.id, a.code, a.name, a.level
    FROM area a
    WHERE a.level = :level
      AND {{live(a)}}
      AND {{area_in_scope(a.code)}}
      AND (CAST(:within AS text) IS NULL OR left(a.code, length(:within)) = :within
           OR left(:within, length(a.code)) = a.code)
)
SELECT up.code, up.name, up.level,
       coalesce(sum(c.households), 0)::int AS households,
       coalesce(sum(c.claimed), 0)::int AS claimed,
       coalesce(sum(c.visited), 0)::int AS visited,
       coalesce(sum(c.overdue), 0)::int AS overdue,
       max(c.last_contact) AS last_contact,
       count(c.id)::int AS micro_grids,
       (count(c.id) FILTER (WHERE c.uncovered))::int AS uncovered,
       CASE WHEN up.level = 'micro_grid' THEN max(c.members)::int  -- its own and its grid's
            ELSE (SELECT count(*) FROM member m JOIN area ma ON ma.id = m.area_id
                  WHERE m.kind IN ('grid_worker', 'party_member')
                    AND left(ma.code, length(up.code)) = up.code)::int END AS members
FROM up
JOIN per_mg c ON left(c.code, length(up.code)) = up.code
GROUP BY up.id, up.code, up.name, up.level
ORDER BY up.code
