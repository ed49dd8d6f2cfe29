-- A loan on the fund's terms (append-only; its disbursement is the ledger entry beside it).
INSERT INTO cobuild_loan (cohort_id, fund_id, household, borrower, amount, instalment, years,
                          disbursed_on, account)
VALUES (:cohort_id, :fund_id, :household, :borrower, :amount, :instalment, :years,
        :disbursed_on, :account)
RETURNING id
