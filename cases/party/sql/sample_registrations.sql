-- The sample's registrations (sample_data/party_registrations.csv), at current micro-grids.
INSERT INTO party_registration (member_id, micro_grid_id, skills, availability, registered_at)
SELECT CAST(:member_id AS int), a.id,
       coalesce(string_to_array(NULLIF(:skills, ''), '、'), CAST('{}' AS text[])), :availability,
       CAST(:registered_at AS timestamptz)
FROM area a
WHERE a.code = :micro_grid_code AND a.level = 'micro_grid' AND a.generation_high IS NULL
