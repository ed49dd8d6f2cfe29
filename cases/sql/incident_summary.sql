-- The command centre's four figures for the incidents inside the caller's scope and, with :area, held in an area whose code begins with it:
-- new_today, reported since :day_start (midnight China time, computed by cases.figures);
-- open, every status outside :closed; due_24h and overdue, the cases whose clock runs with the
-- deadline they run against in [:now, :now + 24 h) or before :now (the same rule as the list's
-- due= filter). One scan; :now is passed in, not now(), so the figures and their as_of are the
-- same instant.
SELECT count(*) FILTER (WHERE i.reported_at >= :day_start) AS new_today,
       count(*) FILTER (WHERE NOT (i.status = ANY(CAST(:closed AS text[])))) AS open,
       count(*) FILTER (WHERE {{clock_runs(i)}}
                          AND {{running_deadline(i)}} >= :now
                          AND {{running_deadline(i)}} < CAST(:now AS timestamptz) + interval '24 hours')
           AS due_24h,
       count(*) FILTER (WHERE {{clock_runs(i)}} AND {{running_deadline(i)}} < :now) AS overdue
FROM incident i
JOIN area q ON q.id = i.queue_area_id
WHERE (CAST(:area AS text) IS NULL OR left(q.code, length(:area)) = :area)
  AND {{incident_in_scope(i)}}
