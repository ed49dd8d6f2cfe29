-- The level of the area or region whose code :c an account's scope would be: a current area
-- (banner … micro_grid) or a region above the county-level units (province, city).
SELECT CAST(level AS text) FROM area WHERE code = :c AND generation_high IS NULL
UNION ALL
SELECT CAST(level AS text) FROM region WHERE code = :c
LIMIT 1
