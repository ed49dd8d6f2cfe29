-- Households and persons filed under the micro-grids live in :g whose code begins with :code (the
-- area and everything inside it): counts only, no one named.
SELECT count(DISTINCT hh.id) AS households, count(p.id) AS population
FROM area mg
JOIN house h ON h.micro_grid_id = mg.id
JOIN household hh ON hh.house_id = h.id
LEFT JOIN person p ON p.household_id = hh.id
WHERE mg.level = 'micro_grid' AND {{live(mg)}}
  AND left(mg.code, length(:code)) = :code
