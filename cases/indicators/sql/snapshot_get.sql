-- A published ranking's frozen bytes, if it was published.
SELECT s.body FROM ranking_snapshot s
WHERE s.quarter = :quarter AND s.kind = :kind AND s.within = :within
