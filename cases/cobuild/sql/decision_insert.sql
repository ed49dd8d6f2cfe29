-- A recorded decision on loan :loan_id (append-only).
INSERT INTO cobuild_loan_decision (loan_id, kind, decision, decided_on, instalment, years,
                                   first_due_on, account)
VALUES (:loan_id, :kind, :decision, :decided_on, :instalment, :years, :first_due_on, :account)
RETURNING id
