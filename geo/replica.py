"""A streaming read replica: the embedded hot standby, and the check that says whether the
read-only endpoints may read from a replica at this moment.

The replica is a PostgreSQL physical standby (``pg_basebackup -R``: ``primary_conninfo`` and a
replication slot), read-only and, by the nature of streaming replication, a little behind.
Two things keep a reader from being misled by it:

- **Bounded staleness.** :class:`ReadReplica` checks the standby every ``every_s`` seconds in
  its own thread, so no request waits for the check: the primary's WAL flush position is read
  first, then the standby says whether it has replayed that far (lag 0: everything committed
  before the check is there, also when the primary is idle) and else how old the last
  transaction it replayed is (``now() - pg_last_xact_replay_timestamp()``, capped by the time
  since a check last found it caught up). Past
  ``max_lag_s``, or when the standby refuses connections, times out, has been promoted, or
  has not been checked for a while (a hung check), :meth:`ReadReplica.usable` is false and
  reads go to the primary until a check finds it well again.
- **One database per request.** A request reads its generation and its data from the same
  database, and the caches keyed by generation (area tiles, the current generation, Gi*
  weights) are keyed by the database's URL too, so a tile read from a replica that has not
  yet received generation *g* is never kept as generation *g* (``api/replica.py``).

Nothing is ever promoted: when the primary is lost an operator promotes the standby by hand
(README, "Read replica").
"""

from __future__ import annotations

import contextlib
import logging
import pwd
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from geo import db
from geo.embedded import CONF_NAME, SUPERUSER, EmbeddedPostgres
from geo.errors import DatabaseSetupError
from geo.settings import Settings
from geo.sql import query

log = logging.getLogger(__name__)

#: The embedded standby's port (it names its socket file; nothing listens on TCP).
STANDBY_PORT = 5433
#: The replication slot on the primary that keeps the WAL the embedded standby still needs.
SLOT = "wangge_replica"
#: Seconds a connection to the replica (or the check's to the primary) may take to open.
CONNECT_TIMEOUT_S = 2
#: The state's reason before the first check.
NOT_CHECKED = "not checked yet"
#: Settings of the embedded standby on top of the primary's (``geo/embedded.py``): queries on
#: the standby hold back the primary's vacuum rather than be cancelled by it.
STANDBY_SETTINGS = {"hot_standby": "on", "hot_standby_feedback": "on"}


class EmbeddedStandby(EmbeddedPostgres):
    """A hot standby of the embedded ``primary`` in ``root`` (``$WANGGE_DATA_DIR/pg-replica``).

    Made on first start with ``pg_basebackup -R -S wangge_replica -X stream`` over the
    primary's Unix socket, then started like the primary (:class:`EmbeddedPostgres`) on its
    own socket and port. A standby whose slot is gone from the primary (the replica was turned
    off, see :func:`forget_standby`, or the primary was made anew) may lack WAL that is no
    longer kept, so it is made afresh; it holds nothing of its own.
    """

    port = STANDBY_PORT

    def __init__(
        self,
        root: Path,
        primary: EmbeddedPostgres,
        *,
        slot: str = SLOT,
        pg_bin: Path | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(root, primary.dbname, pg_bin=pg_bin, timeout=timeout)
        self.primary = primary
        self.slot = slot

    def start(self) -> str:
        if (self.data_dir / "PG_VERSION").exists() and not _slot_exists(self.primary, self.slot):
            log.warning(
                "replication slot %s is not on the primary: making the standby in %s afresh",
                self.slot,
                self.root,
            )
            self.shutdown()
            shutil.rmtree(self.data_dir)
        return super().start()

    def _initdb(self, bin_dir: Path, account: pwd.struct_passwd) -> None:
        """Copy the primary (``pg_basebackup``) instead of creating an empty cluster."""
        if any(self.data_dir.iterdir()):
            raise DatabaseSetupError(
                f"{self.data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                "move it away"
            )
        with _superuser(self.primary) as conn:
            conn.execute(
                "SELECT pg_create_physical_replication_slot(%(slot)s) "
                "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = %(slot)s)",
                {"slot": self.slot},
            )
        log.info("copying the primary into %s (pg_basebackup)", self.data_dir)
        self._run_as_server(
            [
                str(bin_dir / "pg_basebackup"),
                *("-D", str(self.data_dir), "-d", _conninfo(self.primary)),
                *("-R", "-S", self.slot, "-X", "stream", "-c", "fast", "-w"),
            ]
        )

    def _write_config(self, sock: Path, account: pwd.struct_passwd) -> None:
        super()._write_config(sock, account)  # our socket and port, not the copied primary's
        with (self.data_dir / CONF_NAME).open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in STANDBY_SETTINGS.items())

    def _ensure_database(self, sock: str, port: str) -> None:
        """The database came with the copy; check that this is still a standby."""
        where = make_conninfo(
            host=sock, port=port, user=SUPERUSER, dbname=self.dbname, connect_timeout=10
        )
        try:
            with psycopg.connect(where, autocommit=True) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        except psycopg.Error as exc:
            summary = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            raise DatabaseSetupError(
                f"the standby in {self.root} did not answer: {summary}"
            ) from exc
        if row is None or not row[0]:
            raise DatabaseSetupError(
                f"{self.data_dir} is no longer a standby (promoted?); it is a primary of its own "
                "now: move it away to have a new standby made"
            )


def forget_standby(primary: EmbeddedPostgres, slot: str = SLOT, *, wait_s: float = 0.0) -> bool:
    """Drop the embedded standby's replication slot when no standby is using it.

    Run when the replica is turned off: an abandoned slot would keep every WAL segment from
    then on and fill the disk. ``wait_s``: how long a slot still in use may take to be let go
    (a standby just stopped). True when a slot was dropped.
    """
    deadline = time.monotonic() + wait_s
    with _superuser(primary) as conn:
        while True:
            found = conn.execute(
                "SELECT active FROM pg_replication_slots WHERE slot_name = %s", [slot]
            ).fetchone()
            if found is None or not found[0] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        dropped = conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s AND NOT active",
            [slot],
        ).fetchall()
    if dropped:
        log.warning("the embedded replica is off: dropped its replication slot %s", slot)
    return bool(dropped)


def _conninfo(primary: EmbeddedPostgres) -> str:
    url = make_url(primary.url)
    return make_conninfo(
        host=str(url.query["host"]), port=str(url.query["port"]), user=SUPERUSER, connect_timeout=10
    )


@contextlib.contextmanager
def _superuser(primary: EmbeddedPostgres) -> Iterator[psycopg.Connection[Any]]:
    try:
        with psycopg.connect(_conninfo(primary), dbname="postgres", autocommit=True) as conn:
            yield conn
    except psycopg.Error as exc:
        summary = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise DatabaseSetupError(f"could not manage the replication slot: {summary}") from exc


def _slot_exists(primary: EmbeddedPostgres, slot: str) -> bool:
    with _superuser(primary) as conn:
        found = conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", [slot])
        return found.fetchone() is not None


# -- the check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaState:
    """What the last check found.

    ``lag_s`` is how far behind the primary the replica was at most (0.0: it had replayed all
    the primary had flushed), None when unknown; ``published`` the ids of the generations it
    held as activated (a request naming another, a draft or one it has not received, reads
    the primary); ``reason`` why it may not be read from ("" when it may).
    """

    usable: bool
    lag_s: float | None
    published: frozenset[int]
    reason: str
    checked_at: float  # time.monotonic()


class ReadReplica:
    """The replica's engine for reads, and a thread that keeps :attr:`state` current.

    Parameters
    ----------
    primary_url, replica_url
        SQLAlchemy URLs; the replica must be a standby of the primary.
    max_lag_s
        A replica further behind than this is not read from.
    every_s
        Seconds between checks. A state older than ``3 × every_s`` (at least
        ``2 × CONNECT_TIMEOUT_S``) counts as unknown, so a hung check cannot keep a dead
        replica in use.
    """

    def __init__(
        self, primary_url: str, replica_url: str, *, max_lag_s: float = 5.0, every_s: float = 0.5
    ) -> None:
        self.max_lag_s = max_lag_s
        self.every_s = every_s
        self.stale_after_s = max(3 * every_s, 2.0 * CONNECT_TIMEOUT_S)
        self.engine = db.make_engine(_with_timeout(replica_url))
        self._probe_primary = _probe(primary_url)
        self._probe_replica = _probe(replica_url)
        self._state = ReplicaState(False, None, frozenset(), NOT_CHECKED, time.monotonic())
        self._caught_up_at: float | None = None  # when a check last found it caught up
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replica-check", daemon=True)

    @property
    def state(self) -> ReplicaState:
        """The last check's finding, made unusable once it is too old to trust."""
        with self._lock:
            state = self._state
        age = time.monotonic() - state.checked_at
        if state.usable and age > self.stale_after_s:
            why = f"not checked for {age:.1f} s"
            return ReplicaState(False, None, state.published, why, state.checked_at)
        return state

    def check(self) -> ReplicaState:
        """Check the replica now and remember what was found."""
        now = time.monotonic()
        try:
            with self._probe_primary.connect() as conn:
                flushed = conn.execute(query("replica_primary_position")).scalar_one()
        except (DBAPIError, PoolTimeout) as exc:
            return self._found(False, None, None, f"primary unreachable: {_first_line(exc)}", now)
        try:
            with self._probe_replica.connect() as conn:
                row = conn.execute(query("replica_state"), {"primary_lsn": flushed}).one()
        except (DBAPIError, PoolTimeout) as exc:
            return self._found(False, None, None, f"replica unreachable: {_first_line(exc)}", now)
        if not row.in_recovery:
            return self._found(False, None, None, "replica is not a standby (promoted?)", now)
        published = frozenset(row.published or ())
        lag = self._lag(row.caught_up, row.behind_s, now)
        if lag is None:
            return self._found(False, None, published, "replica lag unknown", now)
        reason = "" if lag <= self.max_lag_s else f"replica {lag:.1f} s behind"
        return self._found(not reason, lag, published, reason, now)

    def _lag(self, caught_up: bool, behind_s: float | None, sampled: float) -> float | None:
        """Seconds the replica's data may be older than the primary's, at most.

        0 when it had replayed all the primary had flushed at ``sampled``. Else the age of the
        last transaction it replayed, but no more than the time since a check last found it
        caught up: everything committed before then is on it. (The age alone would call a
        replica of a primary that was idle for a minute and has just written a minute behind.)
        """
        if caught_up:
            self._caught_up_at = sampled
            return 0.0
        since = None if self._caught_up_at is None else time.monotonic() - self._caught_up_at
        found = [float(v) for v in (behind_s, since) if v is not None]
        return max(0.0, min(found)) if found else None

    def lost(self, why: str = "a read on the replica failed") -> None:
        """Stop reading from the replica until the next check finds it well."""
        self._found(False, None, None, why, time.monotonic())

    def start(self) -> None:
        self.check()
        self._thread.start()

    def close(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * CONNECT_TIMEOUT_S + 5)
        for engine in (self.engine, self._probe_primary, self._probe_replica):
            engine.dispose()

    def _found(
        self,
        usable: bool,
        lag: float | None,
        published: frozenset[int] | None,
        reason: str,
        at: float,
    ) -> ReplicaState:
        state = ReplicaState(usable, lag, published or frozenset(), reason, at)
        with self._lock:
            before, self._state = self._state, state
        # the first finding and every change of where reads go are worth a line in the log
        if before.usable != usable or before.reason == NOT_CHECKED:
            if usable:
                log.info("reading from the replica (%.2f s behind)", lag or 0.0)
            else:
                log.warning("reading from the primary: %s", reason)
        return state

    def _run(self) -> None:
        while not self._stopped.wait(self.every_s):
            try:
                self.check()
            except Exception:  # the check must never stop checking
                log.exception("the replica check failed")


def _with_timeout(url: str) -> str:
    """``url`` with a connect timeout, so a replica gone from the network fails fast."""
    parsed = make_url(url)
    if "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    return parsed.render_as_string(hide_password=False)


def _probe(url: str) -> Engine:
    """A one-connection engine for the check, with its own pool (a replica pool exhausted by
    requests must not delay the check that would send them elsewhere) and a statement
    timeout (a replica that accepts connections but does not answer is a replica down)."""
    timeout = {"options": f"-c statement_timeout={CONNECT_TIMEOUT_S * 1000}"}
    probe = make_url(_with_timeout(url)).update_query_dict(timeout)
    return db.make_engine(probe.render_as_string(hide_password=False), pool_size=1)


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", None) or exc).strip() or type(exc).__name__).splitlines()[0]


def attach_standby(database: db.Database, settings: Settings) -> None:
    """Start the embedded standby of ``database`` when ``settings.embedded_replica`` says so
    (making it on first use) and note it on ``database``; when it says not, drop the slot an
    earlier standby left, so the primary does not keep WAL for it forever."""
    if database.embedded is None:
        if settings.embedded_replica:
            raise DatabaseSetupError(
                "WANGGE_EMBEDDED_REPLICA needs the embedded database (WANGGE_DATABASE_URL "
                "unset); with an external database set WANGGE_REPLICA_URL to its standby"
            )
        return
    if not settings.embedded_replica:
        forget_standby(database.embedded)
        return
    if settings.replica_url:
        raise DatabaseSetupError(
            "set WANGGE_EMBEDDED_REPLICA or WANGGE_REPLICA_URL, not both: which should reads use?"
        )
    standby = EmbeddedStandby(settings.replica_dir, database.embedded, pg_bin=settings.pg_bin)
    owner_url = standby.start()
    database.standby = standby
    service = make_url(owner_url).set(username=db.SERVICE_ROLE)
    database.replica_url = service.render_as_string(hide_password=False)
