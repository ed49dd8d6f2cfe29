-- Loans in the caller's scope (optionally one village, fund, loan or household) with what a
-- standing needs: the terms, the repayments (every entry of the loan but its disbursement:
-- repayments and their reversals; amounts as text, exact) and the decisions; the village's
-- township for the overdue flags.
SELECT l.id, l.fund_id, l.cohort_id, c.year AS cohort_year, l.household, l.borrower,
       l.amount, l.instalment, l.years, l.disbursed_on, f.village_code,
       left(f.village_code, 9) AS township_code,
       coalesce((
           SELECT json_agg(json_build_object('on', e.booked_on, 'amount', e.delta::text,
                                             'id', e.id, 'kind', e.kind,
                                             'prepayment', e.prepayment)
                           ORDER BY e.booked_on, e.id)
           FROM cobuild_entry e WHERE e.loan_id = l.id AND e.kind <> 'disbursement'
       ), '[]') AS repayments,
       coalesce((
           SELECT json_agg(json_build_object('kind', d.kind, 'decided_on', d.decided_on,
                                             'decision', d.decision,
                                             'instalment', d.instalment::text,
                                             'years', d.years, 'first_due_on', d.first_due_on)
                           ORDER BY d.decided_on, d.id)
           FROM cobuild_loan_decision d WHERE d.loan_id = l.id
       ), '[]') AS decisions
FROM cobuild_loan l
JOIN cobuild_fund f ON f.id = l.fund_id
JOIN cobuild_cohort c ON c.id = l.cohort_id
WHERE {{area_in_scope(f.village_code)}}
  AND (CAST(:village AS text) IS NULL OR f.village_code = :village)
  AND (CAST(:fund_id AS bigint) IS NULL OR l.fund_id = :fund_id)
  AND (CAST(:loan_id AS bigint) IS NULL OR l.id = :loan_id)
  AND (CAST(:household AS text) IS NULL OR l.household = :household)
ORDER BY l.disbursed_on, l.id
