-- The incident :code, locked for one action, when it lies inside the caller's scope (else no
-- row: out of scope is "does not exist"); with what the transition table's guards and the
-- clock's deadline arithmetic read (the case's resolved time limits per step, as JSON
-- [amount, unit, yellow_after, red_after] in text, and the stamp of the working calendar's
-- rows), the desk it is at and where it lies (for the live event), and the transaction's time
-- (every stamp of the action). One round trip.
SELECT i.id, i.code, i.status, i.version, i.category_code, i.urgent, i.level, i.card,
       i.delay_state, i.handling_started_at, i.hung_since, i.step_due_at, i.deadline_at,
       i.transfers, i.reopened_count, i.evaluation, i.closed_level, i.reported_at,
       i.queue_area_id, i.department_id, c.sensitive, now() AS now,
       q.code AS queue_code, d.code AS department_code,
       CASE WHEN q.level = 'micro_grid' THEN q.code END AS micro_grid_code,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       (SELECT json_object_agg(r.step, json_build_array(r.amount::text, r.unit,
                                                        r.yellow_after::text, r.red_after::text))
        FROM ({{resolved_limits()}}) AS r
        WHERE r.category_code = i.category_code AND r.urgent = i.urgent) AS limits,
       ({{calendar_stamp()}}) AS calendar_stamp
FROM incident i
JOIN category c ON c.code = i.category_code
JOIN area q ON q.id = i.queue_area_id
JOIN department d ON d.id = i.department_id
WHERE i.code = :code AND {{incident_in_scope(i)}}
FOR UPDATE OF i
