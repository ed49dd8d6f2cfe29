-- Who gets incidents, for any number at once (one incident is a set of one), in one statement:
--   'route' rows: for the n-th pair of :categories and :townships (township area ids, null for
--     the banner's queue) the department the township's override names, else the category's
--     (null when neither does; fragment routed_department), its code, and the category's time
--     limit; a pair whose category is unknown has no row;
--   'worker' rows: for each grid of :grids that has one, the grid's worker (fragment
--     grid_worker: the rule is written there alone, cases/dispatch.py).
SELECT 'route' AS what, k.n AS key, r.id, c.time_limit_hours AS hours, d.code
FROM unnest(CAST(:categories AS varchar[]), CAST(:townships AS integer[]))
     WITH ORDINALITY AS k(category, township_id, n)
JOIN category c ON c.code = k.category
LEFT JOIN area t ON t.id = k.township_id
CROSS JOIN LATERAL (SELECT {{routed_department(c, t)}} AS id) r
LEFT JOIN department d ON d.id = r.id
UNION ALL
SELECT 'worker', g.id, w.id, NULL, NULL
FROM unnest(CAST(:grids AS integer[])) AS g(id)
CROSS JOIN LATERAL (SELECT {{grid_worker(g.id)}} AS id) w
WHERE w.id IS NOT NULL
