-- Area rows of generation :g for the draft areas of plan :plan at :level given new codes
-- (:refs[i] gets :codes[i]), under their parent's row (the scope's, :scope_id, for children
-- of :scope_code); each draft area records the row it became.
WITH m AS (SELECT * FROM unnest(CAST(:refs AS text[]), CAST(:codes AS text[])) AS m(ref, code)),
inserted AS (
    INSERT INTO area (code, name, level, kind, parent_id, generation_low, geom)
    SELECT m.code, pa.name, pa.level, pa.kind,
           CASE WHEN pa.parent_ref = :scope_code THEN :scope_id
                ELSE (SELECT pp.area_id FROM plan_area pp
                      WHERE pp.plan_id = pa.plan_id AND pp.ref = pa.parent_ref)
           END,
           :g, pa.geom
    FROM plan_area pa JOIN m ON m.ref = pa.ref
    WHERE pa.plan_id = :plan AND pa.level = :level
    RETURNING id, code
)
UPDATE plan_area pa SET area_id = i.id
FROM inserted i JOIN m ON m.code = i.code
WHERE pa.plan_id = :plan AND pa.ref = m.ref
