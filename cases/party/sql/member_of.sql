-- The party member behind an account (member.kind party_member), with the micro-grid it
-- serves and its registration if it has reported in. None when the account's member is not a
-- party member.
SELECT m.id,
       m.name,
       a.code AS home_code,
       r.id AS registration_id,
       mg.code AS micro_grid_code
FROM member m
JOIN area a ON a.id = m.area_id
LEFT JOIN party_registration r ON r.member_id = m.id
LEFT JOIN area mg ON mg.id = r.micro_grid_id
WHERE m.id = :member_id
  AND m.kind = 'party_member'
