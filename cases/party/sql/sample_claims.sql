-- The sample's claims (sample_data/party_claims.csv), numbered as their tasks.
INSERT INTO party_claim (id, task_id, member_id, claimed_at)
VALUES (CAST(:task AS bigint), CAST(:task AS bigint), CAST(:member_id AS int),
        CAST(:claimed_at AS timestamptz))
