"""Database engine, migrations and the start-up sequence shared by the service and the tests.

A database that goes away while the service runs comes back without a restart of the service:
the pools drop a connection the server has closed before handing it out (:func:`_closed_by_server`,
:func:`_closed_by_server_async`) and the event stream's listener reconnects
(``api/broadcast.py``). An external database is only ever retried; the embedded one, which
only we look after, is restarted by a :class:`Watchdog` when its postmaster dies.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from alembic import command
from alembic.config import Config
from geoalchemy2 import alembic_helpers
from psycopg import AsyncConnection, OperationalError, pq
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Connection, Engine, TextClause, create_engine, event, exc, make_url, text

from geo.embedded import EmbeddedPostgres
from geo.errors import DatabaseSetupError
from geo.models import Base
from geo.settings import Settings
from geo.sql import for_psycopg
from geo.sql import psycopg_dialect as _DIALECT

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS_DIR = REPO_ROOT / "migrations"


#: Connections kept open, and as many more opened under load.
POOL_SIZE = 20
#: A checkout waits at most this long for a pooled connection (then the API answers 503).
POOL_TIMEOUT_S = 30.0
#: Requests that may hold a connection at once (``api.deps``), short of the pool's
#: 2 × :data:`POOL_SIZE` so that authentication and housekeeping always find one free.
REQUEST_SLOTS = 2 * POOL_SIZE - 4


def make_engine(url: str, *, pool_size: int = POOL_SIZE, pooler: bool = False) -> Engine:
    """An engine for ``url`` with a bounded pool that survives a database restart.

    Statement parameters never appear in its errors: they hold reporters' names and phones,
    and an error's text ends up in the log. ``pooler``: ``url`` is a PgBouncer in transaction
    pooling (``WANGGE_POOLER_URL``), where consecutive transactions of one connection may run
    on different server connections, so psycopg must never prepare a statement (it does from
    the fifth run of one; the next server would not know it; PgBouncer 1.18 cannot track them)."""
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={"prepare_threshold": None} if pooler else {},
    )
    event.listen(engine, "do_connect", _keeping_prepared)
    event.listen(engine, "checkout", _closed_by_server)
    return engine


class KeepPreparedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose rollback keeps the statements it has prepared.

    psycopg prepares a statement from its fifth run on a connection, and forgets every one at
    any ``ROLLBACK`` (and sends ``DEALLOCATE ALL``): a guard against a schema changed inside
    the rolled-back transaction. Here every request that only reads ends in the pool's
    rollback, and every refused action in one, so nothing stayed prepared: each statement was
    planned again on each run (the action's answer: 2.6 ms planned, 0.4 ms prepared). The
    service changes no schema while it runs (migrations run before, on their own
    connection), and PostgreSQL plans a prepared statement again by itself when a table it
    reads is altered, so the rollback here is the plain ``ROLLBACK``.
    """

    def rollback(self) -> None:
        conn = self.pgconn
        if (
            conn.transaction_status == pq.TransactionStatus.IDLE
            or conn.pipeline_status != pq.PipelineStatus.OFF
        ):
            super().rollback()
            return
        with self.lock:
            result = conn.exec_(b"ROLLBACK")
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise OperationalError(
                f"ROLLBACK failed: {(result.error_message or b'').decode(errors='replace')}"
            )


#: A statement and its parameters.
Statement = tuple[TextClause, dict[str, Any]]
T = TypeVar("T")
#: Work that asks the database as it goes (written without I/O, so one piece of code runs
#: on SQLAlchemy's connections and on the event loop's): it yields statements to send in
#: one round trip, is sent back their rows, and returns its ``T``.
Reads = Generator[tuple[Statement, ...], list[list[Any]], T]


def pipelined(conn: Connection, *statements: Statement) -> list[list[Any]]:
    """The rows of each of ``statements``, run one after another in ``conn``'s transaction
    but sent together (psycopg's pipeline mode): one round trip for all of them, and for the
    ``BEGIN`` when they are the transaction's first. A later statement sees what an earlier
    one wrote. Rows have the columns as attributes, as SQLAlchemy's do. An error is
    SQLAlchemy's, as from ``conn.execute`` (statement shown, parameters not: they may hold
    personal data), and a lost connection is given up as SQLAlchemy gives it up; the
    statements after a failed one do not run.
    """
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    cursors = []
    texts = [for_psycopg(statement) for statement, _ in statements]
    try:
        with driver.pipeline():
            for sql, (_, params) in zip(texts, statements, strict=True):
                cursor = driver.cursor(row_factory=namedtuple_row)
                cursor.execute(sql, params)
                cursors.append(cursor)
        return [cursor.fetchall() if cursor.description else [] for cursor in cursors]
    except psycopg.Error as error:
        lost = driver.broken or driver.closed
        if lost:
            conn.invalidate(error)
        raise _as_sqlalchemy(error, texts, lost) from error
    finally:
        for cursor in cursors:
            cursor.close()


async def pipelined_now(
    conn: AsyncConnection[Any], *statements: Statement, begin: bool = False, commit: bool = False
) -> list[list[Any]]:
    """:func:`pipelined` on an autocommit connection of the event loop's pool
    (:func:`make_read_pool`), in the event loop: ``begin`` sends ``BEGIN`` first, ``commit``
    ``COMMIT`` last, in the same round trip. Errors are SQLAlchemy's, as there."""
    cursors = []
    texts = [for_psycopg(statement) for statement, _ in statements]
    try:
        async with conn.pipeline():
            if begin:
                await conn.execute("BEGIN", prepare=False)
            for sql, (_, params) in zip(texts, statements, strict=True):
                cursor = conn.cursor(row_factory=namedtuple_row)
                await cursor.execute(sql, params)
                cursors.append(cursor)
            if commit:
                await conn.execute("COMMIT", prepare=False)
        return [await cursor.fetchall() if cursor.description else [] for cursor in cursors]
    except psycopg.Error as error:
        raise _as_sqlalchemy(error, texts, conn.broken or conn.closed) from error
    finally:
        for cursor in cursors:
            await cursor.close()


def _as_sqlalchemy(error: psycopg.Error, texts: list[str], lost: bool) -> exc.StatementError:
    """``error`` as SQLAlchemy raises it (``api/errors.py`` answers those), with the
    statements and without their parameters (they may hold personal data)."""
    return exc.DBAPIError.instance(
        ";\n".join(texts), None, error, psycopg.Error, hide_parameters=True,
        connection_invalidated=lost, dialect=_DIALECT,
    )  # fmt: skip


def _keeping_prepared(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
    """The engine's connections are :class:`KeepPreparedConnection`."""
    return KeepPreparedConnection.connect(*cargs, **cparams)


#: Connections of the read pool (:func:`make_read_pool`): reads that are one short statement
#: each, answered in the event loop, so a few connections serve many requests.
READ_POOL_SIZE = 8
#: Case actions that may hold a connection of that pool at once: an action waits there for
#: its case's row lock while another action on it runs, and the reads of ``GET /locate``
#: must always find a connection.
ACTION_SLOTS = READ_POOL_SIZE - 2


def make_read_pool(
    url: str, *, max_size: int = READ_POOL_SIZE, pooler: bool = False
) -> AsyncConnectionPool:
    """An asyncio pool of autocommit psycopg connections to ``url`` (a SQLAlchemy URL), for
    the hot reads that are one bounded statement (``GET /locate``) and the case actions,
    which begin and commit their own transaction (:func:`pipelined_now`): they then run in
    the event loop, with no hop to a worker thread and no SQLAlchemy row processing around
    them.

    Like :func:`make_engine`'s pool it never hands out a connection the server has closed,
    and it waits at most :data:`POOL_TIMEOUT_S` for one (``psycopg_pool.PoolTimeout``: 503).
    Not opened: ``await pool.open()`` inside the event loop that will use it. ``pooler``:
    ``url`` is a PgBouncer in transaction pooling, so nothing is prepared (as
    :func:`make_engine`).
    """
    connect: dict[str, Any] = {"autocommit": True}
    if pooler:
        connect["prepare_threshold"] = None
    return AsyncConnectionPool(
        libpq_url(url),
        min_size=min(2, max_size),
        max_size=max_size,
        timeout=POOL_TIMEOUT_S,
        kwargs=connect,
        check=_closed_by_server_async,
        open=False,
        name="reads",
    )


def libpq_url(url: str) -> str:
    """The libpq URI for a SQLAlchemy URL (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _closed_by_server_async(conn: AsyncConnection[Any]) -> None:
    """:func:`_closed_by_server` for the read pool: the closed connection is closed here too,
    so that the pool drops it and opens another instead of taking it back."""
    if conn.closed or _has_input(conn.fileno()):
        await conn.close()
        raise OperationalError("the server closed this pooled connection")


def _has_input(fileno: int) -> bool:
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(0))


def _closed_by_server(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Refuse a pooled connection the server has closed; the pool then opens a new one.

    An idle connection in the pool has nothing to read, unless its server ended it (a restart,
    a killed backend: the server's last message and the end of the stream are waiting). One
    ``poll`` with no timeout sees that without the round trip of SQLAlchemy's pre-ping (a
    sixth of an action's). A connection that died without a word (a cut network) fails its
    statement instead: SQLAlchemy then throws away the whole pool and the API answers 503
    (``api/errors.py``), once.
    """
    if _has_input(dbapi_connection.fileno()):
        raise exc.DisconnectionError("the server closed this pooled connection")


def alembic_config(url: str) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = url
    return cfg


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """What Alembic's autogenerate compares: GeoAlchemy2's rule, less the partitions of a
    partitioned table (``<table>_<year>``, ``<table>_default``: migration 0016 and
    ``wangge_year_partitions`` make them, and no model describes them) and the copies
    PostgreSQL makes of a foreign key for each partition of the table it references."""
    if reflected and compare_to is None:
        if type_ == "table" and _is_partition(name or ""):
            return False
        if type_ == "foreign_key_constraint" and _is_partition(obj.referred_table.name):
            return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


def _is_partition(name: str) -> bool:
    stem, _, tail = name.rpartition("_")
    parent = Base.metadata.tables.get(stem)
    return (
        parent is not None
        and (tail.isdigit() or tail == "default")
        and bool(parent.dialect_options["postgresql"]["partition_by"])
    )


def upgrade(url: str, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


#: The role the embedded server's service connects as: it may read and write the tables but
#: not alter them, and may only append to the audit log, the incident trails, the published
#: rankings and the townships' scores, and to the party members' tables (their points are
#: folded from the claims and confirmations; a task keeps UPDATE only to be locked FOR UPDATE
#: while it is claimed or confirmed).
SERVICE_ROLE = "wangge_service"

_GRANTS = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
END $$;
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
REVOKE UPDATE, DELETE, TRUNCATE
    ON audit_log, incident_event, ranking_snapshot, case_score, mediation_attempt
    FROM {role};
REVOKE UPDATE, DELETE, TRUNCATE
    ON party_registration, party_claim, party_confirmation FROM {role};
REVOKE DELETE, TRUNCATE ON party_task FROM {role};
REVOKE UPDATE, DELETE, TRUNCATE ON contact, contact_household, meeting, routine_reminder
    FROM {role};
REVOKE UPDATE, DELETE, TRUNCATE ON registry_version FROM {role};
DO $$ DECLARE part regclass; BEGIN
    -- the partitions are reached through their table, whose grants apply: none of their own
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits JOIN pg_class t ON t.oid = inhparent
                WHERE t.relkind = 'p' LOOP
        EXECUTE 'REVOKE ALL ON ' || part::text || ' FROM {role}';
    END LOOP;
END $$;
REVOKE DELETE, TRUNCATE ON cobuild_entry, cobuild_loan, cobuild_loan_decision, cobuild_loan_flag,
    cobuild_delivery, cobuild_payment, cobuild_notice FROM {role};
"""


def grant_service_role(engine: Engine) -> str:
    """Create (once) and grant the service role on ``engine``'s database, as its owner; the
    URL for the service. Run after every migration, so new tables are granted too."""
    database = engine.url.database
    assert database is not None and database.replace("_", "").isalnum(), database
    with engine.begin() as conn:
        conn.exec_driver_sql(_GRANTS.format(role=SERVICE_ROLE, database=f'"{database}"'))
    return engine.url.set(username=SERVICE_ROLE, password=None).render_as_string(
        hide_password=False
    )


class Watchdog:
    """Restart the embedded PostgreSQL when its postmaster is gone, with back-off.

    Looks every ``every_s`` seconds (reading ``postmaster.pid`` and ``/proc``, no connection);
    :meth:`EmbeddedPostgres.start` then clears what the dead server left and PostgreSQL does
    its own crash recovery. A failed restart is retried after 2, 4, 8 … ``max_delay_s``
    seconds. Every step is logged.
    """

    def __init__(
        self, embedded: EmbeddedPostgres, *, every_s: float = 1.0, max_delay_s: float = 30.0
    ) -> None:
        self.embedded = embedded
        self.every_s = every_s
        self.max_delay_s = max_delay_s
        self.restarts = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (wait for a restart under way to finish)."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.embedded.timeout + 5)

    def _run(self) -> None:
        failures = 0
        delay = self.every_s
        while not self._stopped.wait(delay):
            delay = self.every_s
            try:
                if self.embedded.is_running():
                    continue
                log.warning(
                    "the embedded PostgreSQL in %s is gone; restarting it", self.embedded.root
                )
                started = time.monotonic()
                self.embedded.start()
            except DatabaseSetupError as exc:
                failures += 1
                delay = min(self.every_s * 2**failures, self.max_delay_s)
                log.error(
                    "restarting the embedded PostgreSQL failed (attempt %d; next in %.1f s): %s",
                    failures,
                    delay,
                    str(exc).splitlines()[0],
                )
                continue
            self.restarts += 1
            log.warning(
                "restarted the embedded PostgreSQL in %s in %.1f s (after %d failed attempts)",
                self.embedded.root,
                time.monotonic() - started,
                failures,
            )
            failures = 0


@dataclass
class Database:
    """A ready database: its owner's URL and engine (migrations, loaders, tests), the URL the
    service connects with, and, when embedded, the server we started.

    Embedded, the service connects as :data:`SERVICE_ROLE`; with an external database it uses
    the URL it was given, whose role the operator grants (see README).
    """

    url: str
    engine: Engine
    embedded: EmbeddedPostgres | None = field(default=None)
    service_url: str = ""

    watchdog: Watchdog | None = field(default=None, init=False)
    #: The embedded hot standby (``WANGGE_EMBEDDED_REPLICA``) and the URL the service reads
    #: from it with; see ``geo/replica.py``.
    standby: EmbeddedPostgres | None = field(default=None, init=False)
    replica_url: str | None = field(default=None, init=False)
    standby_watchdog: Watchdog | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.service_url = self.service_url or self.url

    def watch(self, *, every_s: float = 1.0) -> None:
        """Restart the embedded server (and its standby) whenever it dies, until :meth:`close`;
        an external database is not ours to restart (its connections are retried instead)."""
        if self.embedded is not None and self.watchdog is None:
            self.watchdog = Watchdog(self.embedded, every_s=every_s)
            self.watchdog.start()
        if self.standby is not None and self.standby_watchdog is None:  # reads fall back meanwhile
            self.standby_watchdog = Watchdog(self.standby, every_s=every_s)
            self.standby_watchdog.start()

    def close(self) -> None:
        """Stop watching, dispose of the pool and stop the embedded servers we started."""
        if self.watchdog is not None:
            self.watchdog.stop()
        if self.standby_watchdog is not None:
            self.standby_watchdog.stop()
        if self.standby is not None:
            self.standby.stop()
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.stop()


#: Loads the sample data into an empty, migrated database (see ``cases.sample``).
SampleLoader = Callable[[Engine], object]


def prepare(settings: Settings, *, load: SampleLoader | None = None) -> Database:
    """Start (or reach) the database, migrate it, and ``load`` the sample into an empty one.

    With no ``settings.database_url`` this starts the embedded PostGIS in
    ``settings.data_dir / "pg"``. Without ``load``, only the areas and people are loaded.
    """
    embedded = None
    url = settings.database_url
    if not url:
        embedded = EmbeddedPostgres(settings.pg_dir, pg_bin=settings.pg_bin)
        url = embedded.start()
    try:
        upgrade(url)
        engine = make_engine(url)
        if settings.load_sample_data and is_empty(engine):
            if load is None:
                from geo.loader import load_sample

                load = load_sample
            started = time.perf_counter()
            load(engine)
            log.info("sample data loaded in %.1f s", time.perf_counter() - started)
        service_url = grant_service_role(engine) if embedded is not None else url
    except BaseException:
        if embedded is not None:
            embedded.stop()
        raise
    return Database(url=url, engine=engine, embedded=embedded, service_url=service_url)


def is_empty(engine: Engine) -> bool:
    """True when no generation has been loaded yet."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM generation)")).scalar_one()


def postgis_version(conn: Connection) -> str:
    """The PostGIS library version the database runs, e.g. ``3.4.2``."""
    return str(conn.execute(text("SELECT postgis_lib_version()")).scalar_one())


def connections_of(processes: int) -> int:
    """The most connections ``processes`` service processes may open: each its pool, the
    pool's overflow, the read pool of ``GET /locate`` and the live-map listener."""
    return processes * (2 * POOL_SIZE + READ_POOL_SIZE + 1)


def max_connections(engine: Engine) -> int:
    """How many connections the server of ``engine`` accepts (``max_connections``)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SHOW max_connections")).scalar_one())
