-- The newest 500 plans (of :status, when given) whose scope lies inside the caller's scope.
SELECT p.id, p.scope_code, s.name AS scope_name, p.status, p.description, p.author,
       p.version, p.base_generation, p.generation_id, p.created_at, p.updated_at,
       p.published_at, p.published_by
FROM plan p JOIN area s ON s.id = p.scope_area_id
WHERE (CAST(:status AS text) IS NULL OR p.status = :status)
  AND {{area_in_scope(p.scope_code)}}
ORDER BY p.id DESC
LIMIT 500
