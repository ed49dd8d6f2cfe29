-- @fragment calendar_stamp()
-- A stamp of the work_day rows (the calendar's overrides) that changes whenever one is
-- written or removed: how many there are and the sum of their row versions (xmin). Callers
-- read it in their own statement and keep one calendar per stamp (cases.loop.calendar.current).
SELECT count(*)::text || '/' || coalesce(sum(xmin::text::bigint), 0)::text FROM work_day
