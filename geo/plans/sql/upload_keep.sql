-- An uploaded feature whose code is the draft area :ref of plan :plan: its shape (:wkb) and
-- name (a null :name keeps the area's), the version bumped only when either changes.
UPDATE plan_area
SET geom = {{storage_geom(:wkb)}}, name = coalesce(:name, name), version = version + 1
WHERE plan_id = :plan AND ref = :ref
  AND NOT (name = coalesce(:name, name) AND ST_Equals(geom, {{storage_geom(:wkb)}}))
