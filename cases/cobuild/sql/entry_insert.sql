-- One posted ledger entry (append-only: a trigger refuses UPDATE and DELETE).
INSERT INTO cobuild_entry (fund_id, kind, booked_on, delta, purpose, voucher, pairing_id,
                           project_id, loan_id, reverses_id, reason, prepayment, account)
VALUES (:fund_id, :kind, :booked_on, :delta, :purpose, :voucher, :pairing_id, :project_id,
        :loan_id, :reverses_id, :reason, :prepayment, :account)
RETURNING id
