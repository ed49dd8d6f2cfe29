-- Who gets incidents, for any number at once (one incident is a set of one), in one statement:
--   'route' rows: for the n-th pair of :categories and :townships (township area ids, null for
--     the banner's queue) the department the township's override names, else the category's
--     (null when neither does), its code, and the category's time limit; a pair whose
--     category is unknown has no row;
--   'worker' rows: for each grid of :grids, THE GRID'S WORKER: of the members of kind
--     grid_worker serving it, the one with the lowest id (the first on the roll). This is
--     the only place that says so (cases/dispatch.py).
SELECT 'route' AS what, k.n AS key, coalesce(o.department_id, c.department_id) AS id,
       c.time_limit_hours AS hours, d.code
FROM unnest(CAST(:categories AS varchar[]), CAST(:townships AS integer[]))
     WITH ORDINALITY AS k(category, township_id, n)
JOIN category c ON c.code = k.category
LEFT JOIN area t ON t.id = k.township_id
LEFT JOIN routing_override o ON o.category_code = c.code AND o.township_code = t.code
LEFT JOIN department d ON d.id = coalesce(o.department_id, c.department_id)
UNION ALL
SELECT 'worker', m.area_id, min(m.id), NULL, NULL
FROM member m
WHERE m.kind = 'grid_worker' AND m.area_id = ANY(CAST(:grids AS integer[]))
GROUP BY m.area_id
