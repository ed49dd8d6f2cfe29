-- The year-end reviews of one year and kind, by code.
SELECT r.code, r.score FROM year_end_review r WHERE r.year = :year AND r.kind = :kind
