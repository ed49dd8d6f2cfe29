-- One house inside the caller's scope (its micro-grid's code, area_in_scope).
SELECT ho.id, ho.code AS house_code, ho.name AS house_name, ST_X(ho.geom) AS lon,
       ST_Y(ho.geom) AS lat, mg.code AS micro_grid_code, ho.micro_grid_id, ho.use,
       ho.structure, ho.rented, ho.owner_name, ho.owner_id_number, ho.owner_phone
FROM house ho
JOIN area mg ON mg.id = ho.micro_grid_id
WHERE ho.code = :code AND {{area_in_scope(mg.code)}}
