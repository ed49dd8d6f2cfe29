-- What identifies the live micro-grid rows of generation :g: their count, highest id and the
-- sum of their row versions (xmin: any update or replacement of a row changes it).
SELECT count(*), max(a.id), sum(a.xmin::text::bigint)
FROM area a
WHERE a.level = 'micro_grid' AND {{live(a)}}
