-- The extent of what a scope prefix :p covers in generation :g (geo.places.extent), for the
-- first view of a map page: the area with that code when it is a county-level unit or below,
-- else (a province, a city, or null: everything) the union of the county-level units inside.
SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
FROM (
    SELECT ST_Extent(a.geom) AS e
    FROM area a
    WHERE {{live(a)}}
      AND CASE WHEN length(coalesce(CAST(:p AS text), '')) >= 6 THEN a.code = :p
               ELSE a.level = 'banner' AND {{area_in_scope(a.code)}} END
) x
