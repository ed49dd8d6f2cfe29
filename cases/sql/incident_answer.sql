-- Incident :id (reported at :reported_at, which names its partition) as an action answers it,
-- in one statement: its view (fragment incident_view), the chain of its queue area (coarsest
-- first, as JSON; geo/sql/area_chain.sql's walk) and its trail (incident_events.sql's
-- columns, prefixed e_), one row per entry, oldest first. The trail's areas and departments
-- are scalar lookups by key, a handful per case: joined instead, the statement's generic plan
-- (which the action runs) hashed the whole area table twice at province scale (60 ms).
WITH RECURSIVE v AS MATERIALIZED (
    {{incident_view}}
    WHERE i.id = :id AND i.reported_at = :reported_at
),
chain AS (
    SELECT a.id, a.code, a.name, a.level, a.parent_id, 0 AS depth
    FROM area a
    WHERE a.id = (SELECT queue_area_id FROM incident
                  WHERE id = :id AND reported_at = :reported_at)
    UNION ALL
    SELECT a.id, a.code, a.name, a.level, a.parent_id, c.depth + 1
    FROM area a JOIN chain c ON a.id = c.parent_id
)
SELECT v.*,
       (SELECT json_agg(json_build_object('id', id, 'code', code, 'name', name,
                                          'level', level) ORDER BY depth DESC)
        FROM chain) AS chain,
       t.at AS e_at, t.actor AS e_actor, t.kind AS e_kind, t.action AS e_action,
       t.attachments AS e_attachments, t.from_status AS e_from_status,
       t.to_status AS e_to_status, t.from_area AS e_from_area, t.to_area AS e_to_area,
       t.from_member_id AS e_from_member_id, t.to_member_id AS e_to_member_id,
       t.from_department AS e_from_department, t.to_department AS e_to_department,
       t.reason AS e_reason, t.data AS e_data
FROM v
LEFT JOIN LATERAL (
    SELECT e.id, e.at, e.actor, e.kind, e.action, e.attachments, e.from_status, e.to_status,
           (SELECT code FROM area WHERE id = e.from_area_id) AS from_area,
           (SELECT code FROM area WHERE id = e.to_area_id) AS to_area,
           e.from_member_id, e.to_member_id,
           (SELECT code FROM department WHERE id = e.from_department_id) AS from_department,
           (SELECT code FROM department WHERE id = e.to_department_id) AS to_department,
           e.reason, e.data
    FROM incident_event e
    WHERE e.incident_id = v.id
) t ON true
ORDER BY t.id
