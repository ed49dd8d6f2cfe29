-- One sweep at a time across every worker: a transaction-level advisory lock, let go at
-- commit or rollback; a sweep that does not get it does nothing (the other one is sweeping).
SELECT pg_try_advisory_xact_lock(:key)
