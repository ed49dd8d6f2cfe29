-- How far the primary has flushed its WAL: the replica check (geo/replica.py) reads it first,
-- then asks the standby whether it has replayed that far (replica_state.sql). Read as text, so
-- the same value goes back as a parameter.
SELECT pg_current_wal_flush_lsn()::text
