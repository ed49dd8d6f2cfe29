-- The other side of a cut draft area: a new area :ref of plan :plan under :parent.
INSERT INTO plan_area (plan_id, ref, name, level, kind, parent_ref, geom)
VALUES (:plan, :ref, :name, :level, :kind, :parent, {{storage_geom(:wkb)}})
