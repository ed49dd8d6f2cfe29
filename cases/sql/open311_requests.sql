-- Service requests as the public Open311 listing shows them. No reporter or member column is
-- selected at all, so personal data cannot leak from here; sensitive categories lose their
-- micro-grid from the address (the caller also drops their description and blurs the point).
-- Every filter is optional; :codes, when given, is meant to be used alone. The caller's scope
-- (the incident scope rule, fragments/incident_in_scope.sql) always applies.
SELECT i.code, i.status, i.category_code, c.name AS category_name, c.sensitive,
       i.description, i.media, i.reported_at, i.deadline_at,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       d.name AS department_name,
       (SELECT max(e.at) FROM incident_event e WHERE e.incident_id = i.id) AS updated_at,
       i.evaluation, la.action AS last_action, la.at AS last_action_at,
       CASE WHEN i.status = 'void' THEN la.reason END AS void_reason,
       concat_ws(' ', b.name, t.name, v.name, g.name,
                 CASE WHEN NOT c.sensitive THEN m.name END) AS address
FROM incident i
JOIN category c ON c.code = i.category_code
JOIN department d ON d.id = i.department_id
LEFT JOIN area t ON t.id = i.township_id
LEFT JOIN area v ON v.id = i.village_id
LEFT JOIN area g ON g.id = i.grid_id
LEFT JOIN area m ON m.id = i.micro_grid_id
-- without a township the incident waits in the banner's own queue
JOIN area b ON b.id = coalesce(t.parent_id, i.queue_area_id)
-- the action that set the status (the notes say what it was; only a refusal's reason is public)
LEFT JOIN LATERAL (
    SELECT e.action, e.at, e.reason FROM incident_event e
    WHERE e.incident_id = i.id AND e.kind = 'action' AND e.to_status = i.status
    ORDER BY e.id DESC LIMIT 1
) la ON true
WHERE (CAST(:codes AS text[]) IS NULL OR i.code = ANY(CAST(:codes AS text[])))
  AND (CAST(:services AS text[]) IS NULL OR i.category_code = ANY(CAST(:services AS text[])))
  AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
  AND i.reported_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND i.reported_at <= coalesce(CAST(:end AS timestamptz), 'infinity')
  AND {{incident_in_scope(i)}}
ORDER BY i.reported_at DESC, i.id DESC
LIMIT :limit
