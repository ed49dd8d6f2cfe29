-- The standby's side of the replica check (geo/replica.py), one round trip:
--   in_recovery        still a standby (false once someone promoted it: then it is no replica)
--   caught_up          it has replayed all the primary had flushed when asked (:primary_lsn,
--                      read there just before): lag 0, also when the primary is idle and the
--                      last replayed transaction is old
--   behind_s           else the age of the last transaction it replayed (NULL: none yet)
--   newest_generation  the highest generation id it holds: a request naming a newer one is
--                      read from the primary
SELECT
    pg_is_in_recovery() AS in_recovery,
    coalesce(pg_last_wal_replay_lsn() >= CAST(:primary_lsn AS pg_lsn), false) AS caught_up,
    extract(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS behind_s,
    (SELECT max(id) FROM generation) AS newest_generation
