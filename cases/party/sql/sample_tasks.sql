-- The sample's tasks (sample_data/party_tasks.csv) with their own numbers as ids; the id
-- sequence is moved past them afterwards (sample_sequences.sql).
INSERT INTO party_task (id, community_id, title, starts_at, created_by, created_at)
SELECT CAST(:task AS bigint), a.id, :title, CAST(:starts_at AS timestamptz), 'sample',
       CAST(:created_at AS timestamptz)
FROM area a
WHERE a.code = :community_code AND a.level = 'village' AND a.generation_high IS NULL
