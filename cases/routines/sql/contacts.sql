-- Contacts inside the caller's scope (their micro-grid's code), newest first, optionally of
-- one micro-grid (:micro_grid code), one household (:household code) or one contact (:id).
-- The member's name is raw here: cases.routines.visits masks it.
SELECT c.id, c.at, c.channel, c.needs, c.incident_codes, c.account,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
       a.code AS micro_grid, m.id AS member_id, m.name AS member_name, m.kind AS member_kind,
       (SELECT json_agg(h.code ORDER BY h.code)
        FROM contact_household ch JOIN household h ON h.id = ch.household_id
        WHERE ch.contact_id = c.id) AS households
FROM contact c
JOIN area a ON a.id = c.micro_grid_id
LEFT JOIN member m ON m.id = c.member_id
WHERE {{area_in_scope(a.code)}}
  AND (CAST(:id AS bigint) IS NULL OR c.id = :id)
  AND (CAST(:micro_grid AS text) IS NULL OR a.code = :micro_grid)
  AND (CAST(:household AS text) IS NULL OR EXISTS (
        SELECT 1 FROM contact_household ch JOIN household h ON h.id = ch.household_id
        WHERE ch.contact_id = c.id AND h.code = :household))
ORDER BY c.at DESC, c.id DESC
LIMIT :limit
