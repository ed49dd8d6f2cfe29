-- The dispute :code with its mediation file (file columns null when it has none), when the
-- incident lies inside the caller's scope (else no row: out of scope is "does not exist");
-- locked, since every write of the ladder reads it first; the transaction's time as ``now``.
SELECT i.id, i.code, i.version, i.status, i.level, i.category_code, c.name AS category_name,
       i.queue_area_id, i.department_id, q.code AS queue_code, now() AS now,
       f.id AS file_id, f.intake_on, f.dispute_type, f.source, f.summary, f.rights_notified,
       f.rights_notified_on, f.risk, f.opened_at, f.opened_by, f.rung_since, f.outcome,
       f.ended_at
FROM incident i
JOIN category c ON c.code = i.category_code
JOIN area q ON q.id = i.queue_area_id
LEFT JOIN mediation_file f ON f.incident_id = i.id
WHERE i.code = :code AND {{incident_in_scope(i)}}
FOR UPDATE OF i
