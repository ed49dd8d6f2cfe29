-- The limit of step :step for a case of :category (urgent or not; fragment resolved_limits),
-- with the stamp of the working calendar's rows (cases.loop.calendar.current keeps one
-- calendar per stamp): a deadline in one round trip.
SELECT r.amount, r.unit, r.yellow_after, r.red_after, ({{calendar_stamp()}}) AS calendar_stamp
FROM ({{resolved_limits()}}) AS r
WHERE r.category_code = :category AND r.urgent = :urgent AND r.step = :step
