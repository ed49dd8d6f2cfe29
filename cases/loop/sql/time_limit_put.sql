-- Set one time limit (category × urgency × step), adding the row when the category had none.
INSERT INTO time_limit (category_code, urgent, step, amount, unit, yellow_after, red_after)
VALUES (:category, :urgent, :step, :amount, :unit, :yellow_after, :red_after)
ON CONFLICT (category_code, urgent, step) DO UPDATE
SET amount = excluded.amount, unit = excluded.unit,
    yellow_after = excluded.yellow_after, red_after = excluded.red_after
