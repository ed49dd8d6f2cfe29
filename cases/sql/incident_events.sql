-- The trail of incident :id, oldest first, with area and department codes, the action taken
-- (closed loop) and the photos it carries ({id, sha256, type, bytes}; served in scope only).
SELECT e.at, e.actor, e.kind, e.action, e.attachments, e.from_status, e.to_status,
       fa.code AS from_area, ta.code AS to_area, e.from_member_id, e.to_member_id,
       fd.code AS from_department, td.code AS to_department, e.reason, e.data
FROM incident_event e
LEFT JOIN area fa ON fa.id = e.from_area_id
LEFT JOIN area ta ON ta.id = e.to_area_id
LEFT JOIN department fd ON fd.id = e.from_department_id
LEFT JOIN department td ON td.id = e.to_department_id
WHERE e.incident_id = :id
ORDER BY e.id
