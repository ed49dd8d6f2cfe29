-- How many areas plan :plan changes: its draft areas that are not unchanged copies, and the
-- base areas it retires.
{{plan_status}}
SELECT (SELECT count(*) FROM status WHERE status <> 'unchanged')
       + (SELECT count(*) FROM retired)
