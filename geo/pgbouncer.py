"""PgBouncer from Debian in transaction pooling, in front of the primary (issue #20, item 3).

Many API processes each keep a pool of connections; PostgreSQL gives every connection a
backend process of its own, so N processes × 40 connections soon costs more than the queries.
PgBouncer in *transaction* pooling lends a server connection for one transaction at a time:
hundreds of client connections share ``pool_size`` server connections. What this breaks, and
what the service does about it (README, Deployment):

- ``LISTEN`` lives in a session, and the next transaction of the same client may run on
  another server connection: the live-map listener (``api/broadcast.py``) always connects to
  the database directly (``WANGGE_DATABASE_URL``), never through ``WANGGE_POOLER_URL``;
- protocol-level prepared statements (psycopg prepares a statement from its fifth run) exist
  on one server connection only, and PgBouncer 1.18 does not track them: the pooled engine
  never prepares (``prepare_threshold=None``, :func:`geo.db.make_engine`);
- session state: the service holds advisory locks only for a transaction
  (``pg_try_advisory_xact_lock``: the supervision sweep, publications, the audit chain),
  sets nothing with a session-wide ``SET``, and its temporary tables are ``ON COMMIT DROP``,
  so nothing it relies on outlives a transaction;
- migrations run as the owner on the direct connection.

:class:`PgBouncer` runs one locally for ``wangge cluster --pgbouncer`` and the tests: it
listens on a Unix socket in its own directory (no TCP port), trusts the one role it serves
(as the embedded server trusts its socket) and, started as root, runs as ``postgres``
(PgBouncer refuses root, as PostgreSQL does).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from geo.errors import DatabaseSetupError

#: The port number in the socket's file name (``.s.PGSQL.6432``); nothing listens on TCP.
PORT = 6432
#: Server connections per database and user: what all the API processes share.
POOL_SIZE = 20


def _account() -> pwd.struct_passwd:
    return pwd.getpwnam("postgres") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())


class PgBouncer:
    """A PgBouncer (transaction pooling) for the database and role of ``target_url``."""

    def __init__(self, target_url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.target = make_url(target_url)
        self.pool_size = pool_size
        self.dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def _config(self, run_dir: Path) -> str:
        t = self.target
        host = t.query.get("host") or t.host or "127.0.0.1"
        server = f"host={host} port={t.port or 5432} dbname={t.database} user={t.username}"
        if t.password:
            server += f" password={t.password}"
        return "\n".join(
            [
                "[databases]",
                f"{t.database} = {server}",
                "[pgbouncer]",
                "listen_addr =",
                f"listen_port = {PORT}",
                f"unix_socket_dir = {run_dir}",
                "unix_socket_mode = 0700",
                "auth_type = trust",
                f"auth_file = {run_dir / 'users.txt'}",
                f"stats_users = {t.username}",
                "pool_mode = transaction",
                f"default_pool_size = {self.pool_size}",
                "max_client_conn = 2000",
                "ignore_startup_parameters = extra_float_digits",
                f"logfile = {run_dir / 'pgbouncer.log'}",
                "",
            ]
        )

    def start(self, timeout: float = 10.0) -> str:
        """Start PgBouncer and return the SQLAlchemy URL that reaches the database through it."""
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            raise DatabaseSetupError("pgbouncer is not installed (apt-get install pgbouncer)")
        account = _account()
        run_dir = self.dir = Path(tempfile.mkdtemp(prefix="wangge-pgbouncer-"))
        (run_dir / "pgbouncer.ini").write_text(self._config(run_dir))
        (run_dir / "users.txt").write_text(f'"{self.target.username}" ""\n')
        for path in (run_dir, *run_dir.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        as_user = ["-u", account.pw_name] if os.geteuid() == 0 else []
        self._proc = subprocess.Popen(
            [binary, *as_user, str(run_dir / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches its owner, which stops it in turn
        )
        socket = run_dir / f".s.PGSQL.{PORT}"
        deadline = time.monotonic() + timeout
        while not socket.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log = (run_dir / "pgbouncer.log").read_text() if self._proc.poll() else ""
                self.stop()
                raise DatabaseSetupError(f"pgbouncer did not start: {log[-2000:]}")
            time.sleep(0.05)
        return self.url

    @property
    def url(self) -> str:
        assert self.dir is not None, "not started"
        return (
            f"postgresql+psycopg://{quote(str(self.target.username))}@/"
            f"{quote(str(self.target.database))}?host={quote(str(self.dir))}&port={PORT}"
        )

    def stop(self) -> None:
        """Stop PgBouncer (SIGINT: let running transactions finish) and remove its directory."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
