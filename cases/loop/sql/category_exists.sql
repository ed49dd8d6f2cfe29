-- Whether a category code (major or minor) exists.
SELECT EXISTS (SELECT 1 FROM category WHERE code = :code)
