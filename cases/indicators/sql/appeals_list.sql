-- The appeals against the rankings of :quarter (or every quarter), oldest first.
SELECT a.id, a.quarter, a.kind, a.within, a.code, a.reason, a.by, a.at, a.outcome,
       a.outcome_note, a.decided_by, a.decided_at
FROM score_appeal a
WHERE CAST(:quarter AS text) IS NULL OR a.quarter = :quarter
ORDER BY a.at, a.id
LIMIT 1000
