-- A private copy of generation :g's live micro-grids with their own GiST index: index scans
-- then meet only micro-grids, never the big township and banner polygons (whose recheck
-- detoasts tens of kilobytes per probe). Statements are run one by one.
DROP TABLE IF EXISTS pg_temp.bulk_micro;
CREATE TEMP TABLE bulk_micro (id integer, code varchar(32), geom geometry(MultiPolygon, 4490))
    ON COMMIT DROP;
INSERT INTO bulk_micro
SELECT a.id, a.code, a.geom
FROM area a
WHERE a.level = 'micro_grid'
  AND {{live(a)}};
CREATE INDEX ON bulk_micro USING gist (geom);
ANALYZE bulk_micro
