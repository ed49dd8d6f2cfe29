-- @fragment assigned_live(micro_grid_id, g=:g)
-- The micro-grid {micro_grid_id} an incident was assigned to lives in generation {g}; then the
-- incident counts there. When it does not (history after a redraw, or no micro-grid at all)
-- the incident is an "orphan" and counts where live_micro_grid_covering places its point.
EXISTS (SELECT 1 FROM area o WHERE o.id = {micro_grid_id} AND {{live(o, {g})}})
