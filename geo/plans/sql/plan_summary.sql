-- Plan :plan with the generations it may be published over and its draft areas counted per
-- level and status, and the base areas it retires counted per level.
{{plan_status}}
SELECT p.id, p.scope_code, s.name AS scope_name, s.level AS scope_level, p.base_generation,
       p.description, p.author, p.status, p.version, p.created_at, p.updated_at,
       p.generation_id, p.published_at, p.published_by, p.report,
       (SELECT max(id) FROM generation WHERE activated_at <= now()) AS current_generation,
       (SELECT max(id) FROM generation) AS newest_generation,
       (SELECT json_object_agg(k, n) FROM (
            SELECT pa.level || ':' || st.status AS k, count(*) AS n
            FROM plan_area pa JOIN status st ON st.id = pa.id
            WHERE pa.plan_id = p.id GROUP BY 1) c) AS counts,
       (SELECT json_object_agg(level, n) FROM (
            SELECT level, count(*) AS n FROM retired GROUP BY level) r) AS retired
FROM plan p JOIN area s ON s.id = p.scope_area_id
WHERE p.id = :plan
