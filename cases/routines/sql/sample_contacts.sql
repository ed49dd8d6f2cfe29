-- The staged sample contacts: each one contact numbered by its line and one household, at the
-- micro-grid of the household's house, with no position (the phone's comes with new visits).
WITH c AS (
    INSERT INTO contact (id, member_id, account, at, channel, needs, micro_grid_id)
    SELECT s.id, s.member_id, 'sample', s.at, s.channel, nullif(s.needs, ''), ho.micro_grid_id
    FROM contact_stage s
    JOIN household h ON h.code = s.household_code
    JOIN house ho ON ho.id = h.house_id
    RETURNING id
)
INSERT INTO contact_household (contact_id, household_id)
SELECT s.id, h.id
FROM contact_stage s
JOIN household h ON h.code = s.household_code
WHERE s.id IN (SELECT id FROM c)
