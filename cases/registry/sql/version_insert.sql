-- One edit of a registry row (append-only): the changed fields before and after.
INSERT INTO registry_version (entity, entity_id, by_account, before, after)
VALUES (:entity, :entity_id, :by, CAST(:before AS jsonb), CAST(:after AS jsonb))
RETURNING id, at
