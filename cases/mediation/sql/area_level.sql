-- The level of the current area :code (a caller's scope), or no row.
SELECT level FROM area WHERE code = :code AND generation_high IS NULL LIMIT 1
