-- @fragment live_micro_grid_covering(point, g=:g)
-- The id of the live micro-grid of generation {g} covering {point}, lowest code first (null
-- outside every one): where an orphan incident (see assigned_live) counts.
(SELECT a.id FROM area a
 WHERE a.level = 'micro_grid'
   AND {{live(a, {g})}}
   AND {{covering_lowest_code_first(a, {point})}})
