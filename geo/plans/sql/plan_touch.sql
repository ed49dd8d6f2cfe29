-- Plan :id was edited: its version goes up by one; the new version.
UPDATE plan SET version = version + 1, updated_at = now() WHERE id = :id
RETURNING version
