-- An overdue flag (30 days or more) for the village committee and the township, once per
-- loan and missed instalment (the key); the rows written.
INSERT INTO cobuild_loan_flag (loan_id, due_on, days_overdue, arrears, village_code,
                               township_code, flagged_at)
VALUES (:loan_id, :due_on, :days_overdue, :arrears, :village_code, :township_code, :now)
ON CONFLICT DO NOTHING
RETURNING loan_id
