-- The stored, editable fields of house :id, locked for an edit.
SELECT name, use, structure, rented, owner_name, owner_id_number, owner_phone,
       ST_X(geom) AS lon, ST_Y(geom) AS lat, micro_grid_id
FROM house WHERE id = :id FOR UPDATE
