-- The lon/lat bounding box of each level's areas living in generation :g inside the caller's
-- scope (the collections' spatial extents).
SELECT level, ST_XMin(e) AS xmin, ST_YMin(e) AS ymin,
       ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
FROM (SELECT a.level, ST_Extent(a.geom) AS e FROM area a
      WHERE {{live(a)}}
        AND {{area_in_scope(a.code)}}
      GROUP BY a.level) x
