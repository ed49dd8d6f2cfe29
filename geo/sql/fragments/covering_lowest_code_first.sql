-- @fragment covering_lowest_code_first(m, point)
-- The tail of a lookup "which candidate {m} covers {point}": the one with the lowest code, so
-- that a point on a shared edge counts once, always in the same micro-grid. Used as
-- (SELECT m.id FROM <candidates> m WHERE <conditions> AND {{covering_lowest_code_first(m, p)}}).
ST_Intersects({m}.geom, {point})
ORDER BY {m}.code
LIMIT 1
