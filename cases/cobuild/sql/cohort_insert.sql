-- This year's cohort of fund :fund_id: the decision, the public-notice date and its size
-- (the fund's cohort_size when it was chosen). One per fund and year (a unique key).
INSERT INTO cobuild_cohort (fund_id, year, decision, decided_on, notice_on, size, account)
VALUES (:fund_id, :year, :decision, :decided_on, :notice_on, :size, :account)
ON CONFLICT (fund_id, year) DO NOTHING
RETURNING id
