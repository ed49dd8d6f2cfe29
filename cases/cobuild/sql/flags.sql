-- Overdue flags in the caller's scope, newest first: the village committee sees its
-- village's, the township its villages'.
SELECT g.loan_id, g.due_on, g.days_overdue, g.arrears, g.village_code, g.township_code,
       g.flagged_at, l.household, l.borrower, v.name AS village_name
FROM cobuild_loan_flag g
JOIN cobuild_loan l ON l.id = g.loan_id
LEFT JOIN LATERAL (
    SELECT a.name FROM area a
    WHERE a.code = g.village_code AND a.level = 'village' AND a.generation_high IS NULL
    LIMIT 1
) v ON true
WHERE {{area_in_scope(g.village_code)}}
ORDER BY g.flagged_at DESC, g.loan_id
LIMIT :limit
