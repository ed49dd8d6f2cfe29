-- Fresh statistics for the planner after the sample's bulk load (the coverage rule's LATERAL
-- lookups are planned from them).
ANALYZE contact; ANALYZE contact_household; ANALYZE meeting
