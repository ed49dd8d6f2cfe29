"""The service's connection pools (:func:`geo.db.make_engine`, :func:`geo.db.make_read_pool`)
against the session's PostGIS."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
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


def test_a_read_pool_connection_the_server_ended_is_replaced_before_use(
    database: db.Database,
) -> None:
    """The same promise for the read pool (``GET /locate``): a backend the server ended is
    dropped when it is asked for, and the caller gets a new connection, not an error."""

    async def backend_pids() -> tuple[int, int, int]:
        pool = db.make_read_pool(database.url, max_size=1)
        await pool.open(wait=True)
        try:
            async with pool.connection() as conn:
                first = await _pid(conn)
            async with pool.connection() as conn:  # the same live connection again
                again = await _pid(conn)
            killer = db.make_engine(database.url, pool_size=1)
            try:
                with killer.connect() as conn:
                    conn.execute(sqlalchemy.text("SELECT pg_terminate_backend(:p)"), {"p": first})
                wait_until(lambda: not _backend_alive(killer, first), "the backend is gone")
            finally:
                killer.dispose()
            async with pool.connection() as conn:
                second = await _pid(conn)
            return first, again, second
        finally:
            await pool.close()

    first, again, second = asyncio.run(backend_pids())
    assert again == first
    assert second != first


async def _pid(conn: psycopg.AsyncConnection[Any]) -> int:
    cursor = await conn.execute("SELECT pg_backend_pid()")
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])
