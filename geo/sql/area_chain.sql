-- The area :id and its ancestors, coarsest first.
WITH RECURSIVE chain AS (
    SELECT id, code, name, level, parent_id, 0 AS depth FROM area WHERE id = :id
    UNION ALL
    SELECT a.id, a.code, a.name, a.level, a.parent_id, c.depth + 1
    FROM area a JOIN chain c ON a.id = c.parent_id
)
SELECT id, code, name, level FROM chain ORDER BY depth DESC
