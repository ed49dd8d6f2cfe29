-- Copy the live areas under plan :plan's scope from its base generation into the draft.
INSERT INTO plan_area (plan_id, ref, source_area_id, name, level, kind, parent_ref, geom)
SELECT p.id, a.code, a.id, a.name, a.level, a.kind, parent.code, a.geom
FROM plan p
JOIN area a ON left(a.code, length(p.scope_code)) = p.scope_code AND a.code <> p.scope_code
JOIN area parent ON parent.id = a.parent_id
WHERE p.id = :plan
  AND {{live(a, p.base_generation)}}
