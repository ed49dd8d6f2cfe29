-- Cohorts of the funds in the caller's scope (one fund or one cohort), with their loans.
SELECT c.id, c.fund_id, f.village_code, c.year, c.decision, c.decided_on, c.notice_on, c.size,
       (SELECT count(*) FROM cobuild_loan l WHERE l.cohort_id = c.id) AS loans
FROM cobuild_cohort c
JOIN cobuild_fund f ON f.id = c.fund_id
WHERE {{area_in_scope(f.village_code)}}
  AND (CAST(:fund_id AS bigint) IS NULL OR c.fund_id = :fund_id)
  AND (CAST(:cohort_id AS bigint) IS NULL OR c.id = :cohort_id)
ORDER BY c.fund_id, c.year
