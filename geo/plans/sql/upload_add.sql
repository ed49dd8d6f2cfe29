-- An uploaded feature with a new code: a draft area :ref of plan :plan at :level under :parent.
INSERT INTO plan_area (plan_id, ref, name, level, parent_ref, geom)
VALUES (:plan, :ref, :name, :level, :parent, {{storage_geom(:wkb)}})
