-- The ledger of fund :fund_id (in the caller's scope) in booking order, with the running
-- balance after each entry (a window sum: the balance is always the sum of the entries),
-- the loan's household and borrower (masked by the caller) and the project's name.
SELECT e.id, e.kind, o.kind AS reverses_kind, e.booked_on, e.delta, e.purpose, e.voucher,
       e.pairing_id, p.partner, e.project_id, j.name AS project_name, e.loan_id,
       l.household, l.borrower, e.reverses_id, e.reason, e.prepayment, e.account,
       e.recorded_at,
       (SELECT r.id FROM cobuild_entry r WHERE r.reverses_id = e.id) AS reversed_by,
       sum(e.delta) OVER (ORDER BY e.booked_on, e.id) AS balance
FROM cobuild_entry e
JOIN cobuild_fund f ON f.id = e.fund_id
LEFT JOIN cobuild_entry o ON o.id = e.reverses_id
LEFT JOIN cobuild_pairing p ON p.id = e.pairing_id
LEFT JOIN cobuild_project j ON j.id = e.project_id
LEFT JOIN cobuild_loan l ON l.id = e.loan_id
WHERE e.fund_id = :fund_id AND {{area_in_scope(f.village_code)}}
  AND (CAST(:year AS int) IS NULL OR extract(year FROM e.booked_on) = :year)
ORDER BY e.booked_on, e.id
