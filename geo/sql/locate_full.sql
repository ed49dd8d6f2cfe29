-- The whole answer to "who is responsible for this point" in one round trip, as one row:
-- g, the generation (:g, or the current one when :g is null; null when none is published);
-- codes, the live micro-grids of g inside the scope (fragment area_in_scope)
-- covering the point, lowest first (null when none does); chain, the lowest one's chain
-- banner first; people, those serving it or its grid, by kind then id (people.sql's columns).
WITH RECURSIVE gen AS (
    SELECT coalesce(CAST(:g AS integer),
                    (SELECT max(id) FROM generation WHERE activated_at <= now())) AS g
),
cover AS (
    SELECT a.id, a.code
    FROM area a, gen
    WHERE a.level = 'micro_grid'
      AND {{live(a, gen.g)}}
      AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))
      AND {{area_in_scope(a.code)}}
),
chain AS (
    SELECT id, code, name, level, parent_id, 0 AS depth
    FROM area WHERE id = (SELECT id FROM cover ORDER BY code LIMIT 1)
    UNION ALL
    SELECT a.id, a.code, a.name, a.level, a.parent_id, c.depth + 1
    FROM area a JOIN chain c ON a.id = c.parent_id
)
SELECT gen.g,
       (SELECT array_agg(code ORDER BY code) FROM cover) AS codes,
       (SELECT json_agg(json_build_object('id', id, 'level', level, 'code', code, 'name', name)
                        ORDER BY depth DESC)
        FROM chain) AS chain,
       (SELECT json_agg(json_build_object(
                   'id', m.id, 'kind', m.kind, 'name', m.name, 'phone', m.phone,
                   'title', m.title, 'area_code', a.code, 'department_code', d.code,
                   'department_name', d.name)
               ORDER BY m.kind, m.id)
        FROM member m
        JOIN area a ON a.id = m.area_id
        LEFT JOIN department d ON d.id = m.department_id
        WHERE m.area_id IN (SELECT id FROM chain WHERE level IN ('micro_grid', 'grid'))
       ) AS people
FROM gen
