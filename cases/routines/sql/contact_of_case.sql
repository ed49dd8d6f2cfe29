-- The contact of member :member_id that opened (or names) the case :code: a retried visit
-- with a case finds the contact its first attempt wrote.
SELECT c.id FROM contact c
WHERE c.member_id = :member_id AND c.incident_codes @> jsonb_build_array(CAST(:code AS text))
ORDER BY c.id
LIMIT 1
