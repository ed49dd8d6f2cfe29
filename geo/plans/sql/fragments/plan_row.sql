-- @fragment plan_row()
-- The plan :id, when its scope lies inside the caller's scope.
SELECT p.id, p.scope_code, p.scope_area_id, a.level AS scope_level,
       p.base_generation, p.status, p.version
FROM plan p JOIN area a ON a.id = p.scope_area_id
WHERE p.id = :id AND {{area_in_scope(p.scope_code)}}
