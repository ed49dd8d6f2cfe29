-- Funds in the caller's scope (optionally one village or one fund) with their balance (the
-- view cobuild_fund_balance: the sum of the entries, never a stored figure) and the money
-- in and out by kind; a reversal counts with the kind of the entry it reverses.
SELECT f.id, f.village_code, f.name, f.pairing_id, f.loan_amount, f.instalment, f.years,
       f.cohort_size, b.balance, b.entries,
       coalesce(sum(e.delta) FILTER (WHERE coalesce(o.kind, e.kind) = 'receipt'), 0) AS received,
       coalesce(-sum(e.delta) FILTER (WHERE coalesce(o.kind, e.kind) = 'expense'), 0) AS spent,
       coalesce(-sum(e.delta) FILTER (WHERE coalesce(o.kind, e.kind) = 'disbursement'), 0)
           AS disbursed,
       coalesce(sum(e.delta) FILTER (WHERE coalesce(o.kind, e.kind) = 'repayment'), 0) AS repaid
FROM cobuild_fund f
JOIN cobuild_fund_balance b ON b.fund_id = f.id
LEFT JOIN cobuild_entry e ON e.fund_id = f.id
LEFT JOIN cobuild_entry o ON o.id = e.reverses_id
WHERE {{area_in_scope(f.village_code)}}
  AND (CAST(:village AS text) IS NULL OR f.village_code = :village)
  AND (CAST(:fund_id AS bigint) IS NULL OR f.id = :fund_id)
GROUP BY f.id, b.balance, b.entries
ORDER BY f.village_code, f.id
