-- Write a house's editable fields (as merged by cases.registry.edits); the point and its
-- micro-grid together.
UPDATE house
SET name = :name, use = :use, structure = :structure, rented = :rented,
    owner_name = :owner_name, owner_id_number = :owner_id_number, owner_phone = :owner_phone,
    geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), micro_grid_id = :micro_grid_id
WHERE id = :id
