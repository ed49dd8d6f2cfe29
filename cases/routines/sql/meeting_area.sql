-- The live area :code of generation :g inside the caller's scope: its id and level.
SELECT a.id, a.code, a.level FROM area a
WHERE a.code = :code AND {{live(a)}} AND {{area_in_scope(a.code)}}
