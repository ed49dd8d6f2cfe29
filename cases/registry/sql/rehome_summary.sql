-- Houses and households moved by a publication (registry_rehome), per old and new micro-grid.
SELECT f.code AS from_code, t.code AS to_code, count(DISTINCT r.id) AS houses,
       count(hh.id) AS households
FROM registry_rehome r
JOIN area f ON f.id = r.old_id
JOIN area t ON t.id = r.micro_grid_id
LEFT JOIN household hh ON hh.house_id = r.id
WHERE r.what = 'house'
GROUP BY f.code, t.code
ORDER BY f.code, t.code
