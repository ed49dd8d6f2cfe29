-- A new plan over the area :area (code :code) of base generation :base; its id.
INSERT INTO plan (scope_code, scope_area_id, base_generation, description, author)
VALUES (:code, :area, :base, :description, :author)
RETURNING id
