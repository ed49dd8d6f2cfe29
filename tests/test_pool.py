"""The service's connection pools (:func:`geo.db.make_engine`, :func:`geo.db.make_read_pool`)
against the session's PostGIS."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
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


PREPARED = sqlalchemy.text(
    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%wangge_keep_me%'"
)
KEEP_ME = sqlalchemy.text("SELECT 1 AS wangge_keep_me")


def test_a_rollback_keeps_the_statements_psycopg_prepared(database: db.Database) -> None:
    """psycopg prepares a statement from its fifth run and, on its own, forgets them all at
    any ROLLBACK: every read through the pool and every refused action ends in one, so
    nothing stayed prepared. The engine's connections keep them, and the ROLLBACK still
    undoes what the transaction wrote."""
    engine = db.make_engine(database.url, pool_size=1)
    try:
        with engine.connect() as conn:
            for _ in range(6):
                conn.execute(KEEP_ME).scalar_one()
            assert conn.execute(PREPARED).scalar_one() == 1
            conn.execute(sqlalchemy.text("CREATE TEMP TABLE kept (n int)"))
            conn.commit()
            conn.execute(sqlalchemy.text("INSERT INTO kept VALUES (1)"))
            conn.rollback()
            assert conn.execute(sqlalchemy.text("SELECT count(*) FROM kept")).scalar_one() == 0
            assert conn.execute(PREPARED).scalar_one() == 1
            with pytest.raises(sqlalchemy.exc.DataError):  # a failed transaction too
                conn.execute(sqlalchemy.text("SELECT 1 / 0"))
            conn.rollback()
            assert conn.execute(PREPARED).scalar_one() == 1
            assert conn.execute(KEEP_ME).scalar_one() == 1  # and it still runs
    finally:
        engine.dispose()


def test_pipelined_statements_see_each_other_and_fail_as_sqlalchemy_errors(
    database: db.Database,
) -> None:
    """:func:`geo.db.pipelined`: one round trip, later statements see earlier writes, rows
    have attributes, the caller's block commits them; an error is SQLAlchemy's without the
    parameters, and the statements after it do not run."""
    engine = db.make_engine(database.url, pool_size=1)
    insert = sqlalchemy.text("INSERT INTO piped VALUES (:n, :secret)")
    count = sqlalchemy.text("SELECT count(*) AS n, max(secret) AS top FROM piped")
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("CREATE TABLE piped (n int CHECK (n > 0), secret text)"))
        with engine.begin() as conn:
            written, [row] = db.pipelined(conn, (insert, {"n": 1, "secret": "a"}), (count, {}))
            assert written == [] and (row.n, row.top) == (1, "a")
        with pytest.raises(sqlalchemy.exc.IntegrityError) as refused, engine.begin() as conn:
            db.pipelined(
                conn,
                (insert, {"n": 2, "secret": "b"}),
                (insert, {"n": -1, "secret": "13912345678"}),
                (insert, {"n": 3, "secret": "c"}),
            )
        assert "[parameters" not in str(refused.value)  # (the server's DETAIL: log masking)
        assert "INSERT INTO piped" in str(refused.value)
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT n FROM piped")).scalars().all() == [1]
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("DROP TABLE IF EXISTS piped"))
        engine.dispose()


def test_pipelined_now_begins_and_commits_on_an_autocommit_connection(
    database: db.Database,
) -> None:
    """:func:`geo.db.pipelined_now` on the event loop's pool: ``begin`` and ``commit`` make
    one transaction of the statements; without ``commit`` it stays open; a failure leaves
    the transaction failed, for its caller to end, with nothing written."""
    insert = sqlalchemy.text("INSERT INTO piped_now VALUES (:n)")
    count = sqlalchemy.text("SELECT count(*) AS n FROM piped_now")

    async def run() -> tuple[int, int, int, int]:
        pool = db.make_read_pool(database.url, max_size=1)
        await pool.open(wait=True)
        try:
            async with pool.connection() as conn:
                await conn.execute("CREATE TABLE piped_now (n int CHECK (n > 0))")
                _, [row] = await db.pipelined_now(
                    conn, (insert, {"n": 1}), (count, {}), begin=True, commit=True
                )
                idle = conn.pgconn.transaction_status
                await db.pipelined_now(conn, (insert, {"n": 2}), begin=True)
                open_ = conn.pgconn.transaction_status
                with pytest.raises(sqlalchemy.exc.IntegrityError):
                    await db.pipelined_now(conn, (insert, {"n": -1}), commit=True)
                failed = conn.pgconn.transaction_status
                await conn.rollback()
                [[after]] = await db.pipelined_now(conn, (count, {}))
                await conn.execute("DROP TABLE piped_now")
                return row.n, idle, open_ * 10 + failed, after.n
        finally:
            await pool.close()

    first, idle, states, after = asyncio.run(run())
    assert (first, idle) == (1, psycopg.pq.TransactionStatus.IDLE)
    assert (
        states == psycopg.pq.TransactionStatus.INTRANS * 10 + psycopg.pq.TransactionStatus.INERROR
    )
    assert after == 1  # the open transaction's 2 went with the failure
