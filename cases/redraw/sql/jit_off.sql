-- No JIT compilation for the rest of the transaction. PostGIS prices ST_Intersects so high that
-- a per-house covering lookup over a couple of thousand houses is planned at ~180,000, past
-- jit_above_cost (100,000): LLVM then spends over a second compiling a statement that runs in
-- a quarter of one (measured on micro_grid_loads.sql, three grids of the sample).
SET LOCAL jit = off
