-- Generations newer than :base: when, by whom (the plan, and whether its scope lies inside
-- the caller's), and which areas inside the caller's scope they added and retired.
SELECT g.id, g.description, g.created_at, g.activated_at, p.id AS plan,
       p.published_by, p.scope_code, {{area_in_scope(p.scope_code)}} AS plan_inside,
       (SELECT array_agg(a.code ORDER BY a.code) FROM area a
        WHERE a.generation_low = g.id AND {{area_in_scope(a.code)}}) AS added,
       (SELECT array_agg(a.code ORDER BY a.code) FROM area a
        WHERE a.generation_high = (SELECT max(id) FROM generation WHERE id < g.id)
          AND {{area_in_scope(a.code)}}) AS retired
FROM generation g LEFT JOIN plan p ON p.generation_id = g.id
WHERE g.id > :base ORDER BY g.id
