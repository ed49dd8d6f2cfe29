-- The townships' scores of departments given in [:start, :end) (WORKFLOW.md §4.1): per
-- department and township the number of items scored and their mean (0–100). A township
-- scores only cases in its area (cases.indicators.scores checks it on the way in), and the
-- whistles on them (cases.whistle.scores).
WITH item AS (
    SELECT d.code AS department_code, s.township_code, s.score
    FROM case_score s
    JOIN department d ON d.id = s.department_id
    WHERE s.at >= :start AND s.at < :end
    UNION ALL
    -- 一哨一考核 (WORKFLOW.md §3.6): a department's three criteria on one whistle are one
    -- item, their mean; the whistle counts for the township its case lies in, whoever blew it
    SELECT w.department_code, left(wh.area_code, 9), avg(w.score)
    FROM whistle_score w
    JOIN whistle wh ON wh.id = w.whistle_id
    WHERE length(wh.area_code) >= 9
    GROUP BY w.whistle_id, w.department_code, wh.area_code
    HAVING min(w.at) >= :start AND min(w.at) < :end
)
SELECT item.department_code, item.township_code, a.name AS township_name,
       count(*) AS n, round(avg(item.score), 4) AS mean
FROM item
LEFT JOIN LATERAL (
    SELECT a.name FROM area a WHERE a.code = item.township_code ORDER BY a.id DESC LIMIT 1
) a ON true
GROUP BY item.department_code, item.township_code, a.name
ORDER BY item.department_code, item.township_code
