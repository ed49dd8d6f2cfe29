-- The scores given in [:start, :end), by a township (:township, or all) to a department
-- (:department, or all), newest first.
SELECT s.id, i.code AS incident, s.township_code, d.code AS department, s.score, s.reason,
       s.by, s.at
FROM case_score s
JOIN incident i ON i.id = s.incident_id
JOIN department d ON d.id = s.department_id
WHERE s.at >= :start AND s.at < :end
  AND (CAST(:township AS text) IS NULL OR s.township_code = :township)
  AND (CAST(:department AS text) IS NULL OR d.code = :department)
ORDER BY s.at DESC, s.id DESC
LIMIT 1000
