-- @fragment grid_worker(grid_id)
-- THE GRID'S WORKER of the grid whose id is {grid_id}: of the members of kind grid_worker
-- serving it, the one with the lowest id (the first on the roll); null when none serves it.
-- This is the only place that says so (cases/dispatch.py; desks.sql, intake_start.sql).
(SELECT min(m.id) FROM member m WHERE m.kind = 'grid_worker' AND m.area_id = {grid_id})
