-- The draft area :ref of plan :plan takes the shape :wkb (a repair); its version goes up.
UPDATE plan_area SET geom = {{storage_geom(:wkb)}}, version = version + 1
WHERE plan_id = :plan AND ref = :ref
