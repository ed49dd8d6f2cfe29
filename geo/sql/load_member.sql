-- One sample member, serving the current area :area_code, living at (:home_lon, :home_lat).
INSERT INTO member (id, kind, name, phone, title, home, area_id, department_id)
VALUES (:id, :kind, :name, :phone, :title,
        ST_SetSRID(ST_MakePoint(:home_lon, :home_lat), :srid),
        (SELECT id FROM area WHERE code = :area_code AND generation_high IS NULL),
        (SELECT id FROM department WHERE code = :department_code))
