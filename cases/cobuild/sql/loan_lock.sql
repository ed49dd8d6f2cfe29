-- Loan :loan_id (its fund in the caller's scope) locked until the transaction ends: every
-- repayment and decision of a loan is written under this lock, so two repayments posted at
-- once are checked one after the other against what is outstanding, never both against the
-- same figure.
SELECT l.id, l.fund_id FROM cobuild_loan l
JOIN cobuild_fund f ON f.id = l.fund_id
WHERE l.id = :loan_id AND {{area_in_scope(f.village_code)}}
FOR NO KEY UPDATE OF l
