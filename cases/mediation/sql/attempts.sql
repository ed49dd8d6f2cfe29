-- The attempts of file :file_id, rung by rung.
SELECT id, level, rung, held_at, due_at, ST_X(place) AS lon, ST_Y(place) AS lat, micro_grid,
       mediators, participants, record, attachments, outcome, refused, recorded_by, recorded_at
FROM mediation_attempt WHERE file_id = :file_id ORDER BY held_at, id
