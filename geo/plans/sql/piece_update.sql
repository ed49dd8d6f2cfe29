-- The draft area :id takes the shape :wkb (one side of a cut) and the parent :parent; its
-- version goes up.
UPDATE plan_area SET geom = {{storage_geom(:wkb)}}, parent_ref = :parent, version = version + 1
WHERE id = :id
