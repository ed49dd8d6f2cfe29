-- The plans behind the OGC API plan collections: every draft inside the caller's scope (or the
-- plan :id whatever its status), with its scope, and per level its draft holds areas of, the
-- lon/lat extent of those areas. A plan with no draft area at all still has its row (level
-- NULL): the collections of its levels exist, empty.
SELECT p.id, p.scope_code, s.name AS scope_name, s.level AS scope_level, p.status, p.version,
       pa.level, ST_XMin(ST_Extent(pa.geom)) AS xmin, ST_YMin(ST_Extent(pa.geom)) AS ymin,
       ST_XMax(ST_Extent(pa.geom)) AS xmax, ST_YMax(ST_Extent(pa.geom)) AS ymax
FROM plan p
JOIN area s ON s.id = p.scope_area_id
LEFT JOIN plan_area pa ON pa.plan_id = p.id
WHERE (CASE WHEN CAST(:id AS integer) IS NULL THEN p.status = 'draft' ELSE p.id = :id END)
  AND {{area_in_scope(p.scope_code)}}
GROUP BY p.id, s.name, s.level, pa.level
ORDER BY p.id, pa.level
