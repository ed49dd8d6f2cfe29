-- The sample's houses from the temp table registry_house_in (code, lon, lat, micro_grid_id,
-- use, structure, rented): a standard address of its micro-grid (name + number) and the point.
INSERT INTO house (code, name, geom, micro_grid_id, use, structure, rented)
SELECT h.code,
       a.name || (row_number() OVER (PARTITION BY h.micro_grid_id ORDER BY h.code)) || '号',
       ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4490), h.micro_grid_id, h.use, h.structure,
       h.rented
FROM registry_house_in h
JOIN area a ON a.id = h.micro_grid_id
ORDER BY h.code
