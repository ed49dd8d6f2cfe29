INSERT INTO party_confirmation (claim_id, outcome, confirmed_by)
VALUES (:claim_id, :outcome, :confirmed_by)
RETURNING id, confirmed_at
