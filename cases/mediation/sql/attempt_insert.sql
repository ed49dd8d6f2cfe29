-- An attempt on a rung of file :file_id (append-only); the point's live micro-grid with it.
INSERT INTO mediation_attempt (file_id, level, rung, held_at, due_at, place, micro_grid,
                               mediators, participants, record, attachments, outcome, refused,
                               recorded_by)
SELECT :file_id, :level, :rung, :held_at, :due_at, p.geom,
       (SELECT a.code FROM area a
        WHERE a.level = 'micro_grid' AND a.generation_high IS NULL
          AND ST_Covers(a.geom, p.geom) ORDER BY a.code LIMIT 1),
       CAST(:mediators AS jsonb), CAST(:participants AS jsonb), :record,
       CAST(:attachments AS jsonb), :outcome, :refused, :actor
FROM (SELECT ST_SetSRID(ST_MakePoint(CAST(:lon AS double precision),
                                     CAST(:lat AS double precision)), 4490) AS geom) p
RETURNING id, micro_grid
