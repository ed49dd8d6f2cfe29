"""The service's connection pool (:func:`geo.db.make_engine`) against the session's PostGIS."""

from __future__ import annotations

import sqlalchemy

from geo import db
from tests.test_embedded import wait_until


def test_a_pooled_connection_the_server_ended_is_replaced_before_use(
    database: db.Database,
) -> None:
    """A backend ended by the server (a restart, an administrator) is never handed out: the
    next checkout opens a new connection, without the pre-ping's round trip and without an
    error for the caller."""
    engine = db.make_engine(database.url, pool_size=1)
    killer = db.make_engine(database.url, pool_size=1)
    try:
        with engine.connect() as conn:
            first = conn.execute(sqlalchemy.text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as conn:  # the pool hands the same live connection back
            assert conn.execute(sqlalchemy.text("SELECT pg_backend_pid()")).scalar_one() == first
        with killer.connect() as conn:
            ended = conn.execute(
                sqlalchemy.text("SELECT pg_terminate_backend(:pid)"), {"pid": first}
            ).scalar_one()
        assert ended is True
        wait_until(lambda: not _backend_alive(killer, first), "the backend is gone")
        with engine.connect() as conn:
            second = conn.execute(sqlalchemy.text("SELECT pg_backend_pid()")).scalar_one()
        assert second != first
    finally:
        engine.dispose()
        killer.dispose()


def _backend_alive(engine: sqlalchemy.Engine, pid: int) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            sqlalchemy.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar_one()
    return bool(found)
