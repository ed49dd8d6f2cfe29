-- The sample's confirmed claims: completed or no-show, by the community's staff.
INSERT INTO party_confirmation (claim_id, outcome, confirmed_by, confirmed_at)
VALUES (CAST(:task AS bigint), :outcome, 'sample', CAST(:confirmed_at AS timestamptz))
