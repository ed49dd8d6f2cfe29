-- Every mediation file in the caller's scope (and area :area, intake in [:start, :end)), with
-- what the figures count: its type, the place (the case's queue area), its outcome, the
-- attempts as [level, rung, outcome] in order, and a digest of the two sides' names (repeat
-- disputes between the same parties are found by it; the names never leave the database).
SELECT f.id, i.category_code, q.code AS place, f.intake_on, f.outcome,
       (SELECT md5(string_agg(p.name, '|' ORDER BY p.name)) FROM mediation_party p
        WHERE p.file_id = f.id AND p.side IN ('applicant', 'respondent')) AS parties,
       COALESCE((SELECT jsonb_agg(jsonb_build_array(a.level, a.rung, a.outcome,
                                                    a.held_at) ORDER BY a.held_at)
                 FROM mediation_attempt a WHERE a.file_id = f.id), '[]'::jsonb) AS attempts
FROM mediation_file f
JOIN incident i ON i.id = f.incident_id
JOIN area q ON q.id = i.queue_area_id
WHERE {{incident_in_scope(i)}}
  AND (CAST(:area AS text) IS NULL OR q.code LIKE CAST(:area AS text) || '%')
  AND (CAST(:start AS date) IS NULL OR f.intake_on >= CAST(:start AS date))
  AND (CAST(:end AS date) IS NULL OR f.intake_on < CAST(:end AS date))
ORDER BY f.id
