-- Audit entries, newest first, matching each filter given (object type and id, actor,
-- action), older than the entry :before when given; at most :limit.
SELECT id, at, actor, role, action, object_type, object_id, before, after, reason, client
FROM audit_log
WHERE (CAST(:type AS text) IS NULL OR object_type = :type)
  AND (CAST(:oid AS text) IS NULL OR object_id = :oid)
  AND (CAST(:actor AS text) IS NULL OR actor = :actor)
  AND (CAST(:action AS text) IS NULL OR action = :action)
  AND (CAST(:before AS bigint) IS NULL OR id < :before)
ORDER BY id DESC
LIMIT :limit
