-- @fragment storage_geom(wkb)
-- A polygon or multipolygon given as WKB ({wkb}, already in storage coordinates) as the
-- MultiPolygon in EPSG:4490 that area and plan_area columns hold (geo.models.STORAGE_SRID).
ST_Multi(ST_GeomFromWKB({wkb}, 4490))
