-- The households :codes as a member sees them: id, code, live micro-grid (id, code) and the
-- house's point (lon, lat: where a case opened from a visit lies without a position), only
-- those whose micro-grid lies inside the member's area (code prefix :member_area) and the
-- caller's scope. A household outside is left out, as one that does not exist.
SELECT h.id, h.code, a.id AS micro_grid_id, a.code AS micro_grid_code,
       ST_X(ho.geom) AS lon, ST_Y(ho.geom) AS lat
FROM household h
JOIN house ho ON ho.id = h.house_id
JOIN area a ON a.id = ho.micro_grid_id
WHERE h.code = ANY(CAST(:codes AS text[]))
  AND left(a.code, length(:member_area)) = :member_area
  AND {{area_in_scope(a.code)}}
