-- The first of a report's two statements (cases/intake.py): claim the key and read all that
-- the answer needs, in one round trip.
--   wait:    wait at most :wait for a lock (lock_timeout, for this transaction only; the
--            claim selects from it, so it is set before the claim): for another request
--            holding the key ("in progress") or, in a busy moment, for the reports ahead on
--            the year's counter ("busy, retry"; cases/intake.py tells them apart);
--   claimed: claim :key for this report (:hash); no row when the key is taken (a replay, or
--            an expired key: intake_replay.sql tells them apart);
--   cat:     the minor category :category (no row when it is not one);
--   counter: reserve the year's next code (the year in China time), only for a claimed key of
--            a known category; the counter row stays locked until the transaction ends, so
--            codes are gap-free and a rollback (a refusal) gives the number back;
--   p, placement(p): the point placed in the current generation (fragment placement);
--   chain:   the queue area and its ancestors, banner first;
--   route, worker: the desk (fragments routed_department and grid_worker: only an incident
--            with a micro-grid has a grid, and so a worker);
--   lim:     the accept step's time limit (fragment resolved_limits), with the calendar's
--            stamp (cases.loop.calendar.current);
--   dups:    possible duplicates: same category, within :radius metres and :window of now,
--            that the reporter may read (scope); the && prefilter (0.001 degrees is at least
--            85 m here) lets the GiST index do the work. The report itself is not written yet.
-- One row.
WITH RECURSIVE wait AS (SELECT set_config('lock_timeout', :wait, true) AS lock_timeout),
claimed AS (
    INSERT INTO idempotency_key (key, request_hash) SELECT :key, :hash FROM wait
    ON CONFLICT (key) DO NOTHING
    RETURNING key
),
cat AS (
    SELECT c.code, c.name, c.parent_code, mc.name AS major_name, c.sensitive,
           c.department_id, c.time_limit_hours
    FROM category c LEFT JOIN category mc ON mc.code = c.parent_code
    WHERE c.code = :category AND c.parent_code IS NOT NULL
),
counter AS (
    INSERT INTO incident_counter (year, last)
    SELECT extract(year FROM now() AT TIME ZONE :timezone)::int, 1 FROM claimed, cat
    ON CONFLICT (year) DO UPDATE SET last = incident_counter.last + 1
    RETURNING year, last
),
p AS (
    SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS geom,
           (SELECT max(id) FROM generation WHERE activated_at <= now()) AS g
),
{{placement(p)}},
chain AS (
    SELECT a.id, a.code, a.name, a.level, a.parent_id, 0 AS depth
    FROM area a WHERE a.id = (SELECT id FROM placed LIMIT 1)
    UNION ALL
    SELECT a.id, a.code, a.name, a.level, a.parent_id, c.depth + 1
    FROM area a JOIN chain c ON a.id = c.parent_id
),
route AS (
    SELECT d.id, d.code, d.name
    FROM cat
    LEFT JOIN area t ON t.id = (SELECT id FROM chain WHERE level = 'township')
    CROSS JOIN LATERAL (SELECT {{routed_department(cat, t)}} AS id) r
    JOIN department d ON d.id = r.id
),
worker AS (
    SELECT m.id, m.name, m.phone, m.kind
    FROM chain g
    CROSS JOIN LATERAL (SELECT {{grid_worker(g.id)}} AS id) w
    JOIN member m ON m.id = w.id
    WHERE g.level = 'grid' AND EXISTS (SELECT 1 FROM chain WHERE level = 'micro_grid')
),
lim AS (
    SELECT r.amount, r.unit FROM ({{resolved_limits()}}) AS r
    WHERE r.category_code = :category AND r.urgent = :urgent AND r.step = 'accept'
),
dups AS (
    SELECT o.code, o.reported_at,
           ST_Distance(o.geom::geography, p.geom::geography) AS distance_m
    FROM p
    JOIN incident o
      ON o.category_code = :category
     AND o.geom && ST_Expand(p.geom, 0.001)
     AND o.reported_at BETWEEN now() - :window AND now() + :window
     AND ST_DWithin(o.geom::geography, p.geom::geography, :radius)
    WHERE {{incident_in_scope(o)}}
    ORDER BY distance_m, o.code
    LIMIT 10
)
SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, now() AS now, p.g AS generation,
       cat.code AS category_code, cat.name AS category_name, cat.parent_code AS major_code,
       cat.major_name, cat.sensitive,
       now() + make_interval(hours => cat.time_limit_hours) AS deadline_at,
       (SELECT year FROM counter) AS year, (SELECT last FROM counter) AS number,
       pl.how, pl.id AS queue_area_id, pl.distance_m, pl.tied,
       (SELECT array_agg(ARRAY[level, id::text, code, name] ORDER BY depth DESC) FROM chain)
           AS chain,
       route.id AS department_id, route.code AS department_code,
       route.name AS department_name,
       worker.id AS member_id, worker.name AS member_name, worker.phone AS member_phone,
       worker.kind AS member_kind,
       lim.amount AS limit_amount, lim.unit AS limit_unit,
       ({{calendar_stamp()}}) AS calendar_stamp,
       (SELECT array_agg(code ORDER BY distance_m, code) FROM dups) AS duplicate_codes,
       (SELECT array_agg(distance_m ORDER BY distance_m, code) FROM dups) AS duplicate_distances,
       (SELECT array_agg(reported_at ORDER BY distance_m, code) FROM dups) AS duplicate_times
FROM p
LEFT JOIN cat ON true
LEFT JOIN (SELECT * FROM placed LIMIT 1) pl ON true
LEFT JOIN route ON true
LEFT JOIN worker ON true
LEFT JOIN lim ON true
