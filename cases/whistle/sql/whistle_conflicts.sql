-- Departments summoned by two or more open whistles whose attendance overlaps (both open
-- now: not released, the case not closed, the department not gone), inside the caller's
-- scope; each with the whistles, oldest first.
SELECT d.code, d.name, array_agg(w.id ORDER BY w.blown_at, w.id) AS whistles,
       array_agg(i.code ORDER BY w.blown_at, w.id) AS codes
FROM whistle_department wd
JOIN whistle w ON w.id = wd.whistle_id
JOIN incident i ON i.id = w.incident_id
JOIN department d ON d.id = wd.department_id
WHERE w.released_at IS NULL AND wd.left_at IS NULL
  AND i.status NOT IN ('closed', 'evaluated', 'void')
  AND {{whistle_in_scope(w)}}
GROUP BY d.code, d.name
HAVING count(*) >= 2
ORDER BY count(*) DESC, d.code
