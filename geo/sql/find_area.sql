-- The area :code living in generation :g, when it lies inside the caller's scope.
SELECT a.id, a.code, a.name, a.level, a.parent_id
FROM area a
WHERE a.code = :code AND {{live(a)}} AND {{area_in_scope(a.code)}}
