-- One area of a sample layout loaded as generation :generation, under its parent's row of
-- the same generation (:parent_code; none for the banner); :wkb in :srid (storage).
INSERT INTO area (code, name, level, kind, population, parent_id, generation_low, geom)
VALUES (:code, :name, :level, :kind, :population,
        (SELECT id FROM area WHERE code = :parent_code AND generation_low = :generation),
        :generation, ST_Multi(ST_GeomFromWKB(:wkb, :srid)))
