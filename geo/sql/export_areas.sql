-- The areas of :level living in generation :g inside the caller's scope, with the attribute
-- fields of an export (geo.files.export.FIELDS) and the geometry as WKB, in code order.
SELECT a.code, a.name, a.level, a.kind, p.code AS parent, a.population,
       ST_AsBinary(a.geom) AS wkb
FROM area a
LEFT JOIN area p ON p.id = a.parent_id
WHERE a.level = :level
  AND {{live(a)}}
  AND {{area_in_scope(a.code)}}
ORDER BY a.code
