-- Cohort :cohort_id (its fund in the caller's scope) locked while a loan is added, with the
-- loans it holds: no two loans can both be the cohort's last place.
SELECT c.id, c.fund_id, c.year, c.size, c.notice_on,
       (SELECT count(*) FROM cobuild_loan l WHERE l.cohort_id = c.id) AS loans
FROM cobuild_cohort c
JOIN cobuild_fund f ON f.id = c.fund_id
WHERE c.id = :cohort_id AND {{area_in_scope(f.village_code)}}
FOR NO KEY UPDATE OF c
