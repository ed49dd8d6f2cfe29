-- The sweep's statement joins CTEs whose sizes PostgreSQL cannot estimate (it guesses a few
-- hundred rows where there are 100,000), and then probes supervision_notice once per
-- candidate in a nested loop: seconds at 100,000 cases. For this transaction only: hash
-- joins, room for them in memory, and no JIT (the nested-loop penalty inflates the cost
-- estimate past jit_above_cost, and compiling then takes longer than the sweep).
SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', '64MB', true),
       set_config('jit', 'off', true)
