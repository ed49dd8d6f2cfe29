-- The standby's side of the replica check (geo/replica.py), one round trip:
--   in_recovery        still a standby (false once someone promoted it: then it is no replica)
--   caught_up          it has replayed all the primary had flushed when asked (:primary_lsn,
--                      read there just before): lag 0, also when the primary is idle and the
--                      last replayed transaction is old
--   behind_s           else the age of the last transaction it replayed (NULL: none yet)
--   published          the ids of the generations it holds as activated: a request naming
--                      another one (a draft, one not received yet) reads the primary
SELECT
    pg_is_in_recovery() AS in_recovery,
    coalesce(pg_last_wal_replay_lsn() >= CAST(:primary_lsn AS pg_lsn), false) AS caught_up,
    extract(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS behind_s,
    ARRAY(SELECT id FROM generation WHERE activated_at <= now() ORDER BY id) AS published
