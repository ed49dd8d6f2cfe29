-- The townships' scores of departments given in [:start, :end) (WORKFLOW.md §4.1): per
-- department and township the number of items scored and their mean (0–100). A township
-- scores only cases in its area (cases.indicators.scores checks it on the way in).
WITH item AS (
    SELECT d.code AS department_code, s.township_code, s.score
    FROM case_score s
    JOIN department d ON d.id = s.department_id
    WHERE s.at >= :start AND s.at < :end
    -- >>> whistle scores (wave4-whistle's whistle_score) join here at merge, one more input:
    -- UNION ALL
    -- SELECT w.department_code, <the whistle's township code>, w.score
    -- FROM whistle_score w JOIN whistle ... WHERE w.at >= :start AND w.at < :end
    -- <<<
)
SELECT item.department_code, item.township_code, a.name AS township_name,
       count(*) AS n, round(avg(item.score), 4) AS mean
FROM item
LEFT JOIN LATERAL (
    SELECT a.name FROM area a WHERE a.code = item.township_code ORDER BY a.id DESC LIMIT 1
) a ON true
GROUP BY item.department_code, item.township_code, a.name
ORDER BY item.department_code, item.township_code
