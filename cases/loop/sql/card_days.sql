-- The distinct card limits (working days past due) of every time limit: the sweep computes
-- one cut-off per value instead of one per case.
SELECT DISTINCT d AS days
FROM time_limit, LATERAL (VALUES (yellow_after), (red_after)) AS v(d)
WHERE d IS NOT NULL
ORDER BY d
