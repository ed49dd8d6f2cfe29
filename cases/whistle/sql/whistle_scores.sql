-- The scores of the whistles :ids.
SELECT whistle_id, department_code, criterion, score, reason, at
FROM whistle_score WHERE whistle_id = ANY(CAST(:ids AS bigint[]))
ORDER BY whistle_id, department_code, criterion
