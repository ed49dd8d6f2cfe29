-- Fund :fund_id in the caller's scope, locked until the transaction ends: every entry of a
-- fund is posted under this lock, so a balance checked here still holds when the entry is
-- written (no two loans or expenses spend the same money).
SELECT f.id, f.village_code, f.name, f.pairing_id, f.loan_amount, f.instalment, f.years,
       f.cohort_size
FROM cobuild_fund f
WHERE f.id = :fund_id AND {{area_in_scope(f.village_code)}}
FOR NO KEY UPDATE
