-- A sample attempt of file :file_id, held at the case's point and micro-grid.
INSERT INTO mediation_attempt (file_id, level, rung, held_at, due_at, place, micro_grid,
                               mediators, participants, record, outcome, refused, recorded_by)
SELECT :file_id, :level, :rung, :held_at, :due_at, i.geom, m.code, CAST(:mediators AS jsonb),
       CAST(:participants AS jsonb), :record, :outcome, :refused, 'sample'
FROM incident i LEFT JOIN area m ON m.id = i.micro_grid_id
WHERE i.code = :code
