-- @fragment area_features_matching()
-- The FROM and WHERE of an area listing (area_features.sql, area_count.sql): the areas living
-- in generation :g, of :level, under :parent, among :codes, in the bbox (:xmin .. :ymax) and
-- inside the caller's scope; each filter optional. Alias a is the area, p its parent.
FROM area a
LEFT JOIN area p ON p.id = a.parent_id
WHERE {{live(a)}}
  AND (CAST(:level AS text) IS NULL OR a.level = :level)
  AND (CAST(:parent AS text) IS NULL
       OR (left(a.code, length(:parent)) = :parent AND a.code <> :parent))
  AND (CAST(:codes AS text[]) IS NULL OR a.code = ANY(CAST(:codes AS text[])))
  AND {{area_in_scope(a.code)}}
  AND (CAST(:xmin AS float8) IS NULL
       OR a.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490))
