"""The embedded PostGIS: a private PostgreSQL 15 cluster that listens on a Unix socket only.

With no external database configured the service keeps its own cluster in
``$WANGGE_DATA_DIR/pg``::

    pg/
      data/          the cluster (initdb, UTF8), owned by the user the server runs as
      sock/          the Unix socket directory; there is no TCP listener (when the socket
                     path would pass 107 bytes: a private /tmp/wangge-pg-<hash> instead)
      postgres.log   the server log (pg_ctl -l)

PostgreSQL refuses to run as root, so a root process runs ``initdb`` and ``pg_ctl`` as the
``postgres`` system user (``runuser -u postgres --``), hands it the directories and makes
sure it can reach them. Anyone else runs the server as themselves.

:meth:`EmbeddedPostgres.start` is idempotent and recovers from a crashed server: leftover
processes working in the data directory are killed, stale lock files removed, and PostgreSQL
then does its own crash recovery. A healthy server that another process started for the same
directory is attached to, and left running by :meth:`EmbeddedPostgres.stop`.

Used like this (the CLI stops the server on SIGINT/SIGTERM)::

    with EmbeddedPostgres(settings.pg_dir) as pg:
        engine = sqlalchemy.create_engine(pg.url)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Self
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from geo.errors import DatabaseSetupError, PostgresNotInstalled

logger = logging.getLogger(__name__)

PG_MAJOR = "15"
DEFAULT_BIN_DIRS = (Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin"),)
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres", "pg_config")
SERVER_USER = "postgres"  # the OS account the server runs as when we are root
SUPERUSER = "postgres"  # the database superuser initdb creates
PORT = 5432  # only names the socket file: nothing listens on TCP
SOCKET_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes with the trailing NUL
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "port": str(PORT),
    "max_connections": "100",
    "shared_buffers": "'256MB'",
    "fsync": "on",
}
CONF_NAME = "wangge.conf"


def find_pg_bin(candidates: Iterable[Path] | None = None) -> Path:
    """The PostgreSQL 15 ``bin`` directory, checked to have PostGIS installed next to it.

    Parameters
    ----------
    candidates
        Directories to try in order; by default the Debian layout,
        ``/usr/lib/postgresql/15/bin``.

    Raises
    ------
    PostgresNotInstalled
        With a one-line message naming the Debian package to install.

    Examples
    --------
    >>> find_pg_bin()
    PosixPath('/usr/lib/postgresql/15/bin')
    """
    dirs = list(DEFAULT_BIN_DIRS if candidates is None else candidates)
    found = [d for d in dirs if all(os.access(d / b, os.X_OK) for b in REQUIRED_BINARIES)]
    if not found:
        raise PostgresNotInstalled(
            f"PostgreSQL {PG_MAJOR} is not installed (looked in {', '.join(map(str, dirs))}): "
            f"apt-get install postgresql-{PG_MAJOR} postgresql-{PG_MAJOR}-postgis-3"
        )
    bin_dir = found[0]
    version, share = _run([str(bin_dir / "pg_config"), "--version", "--sharedir"]).splitlines()
    if version.split()[1].split(".")[0] != PG_MAJOR:
        raise PostgresNotInstalled(
            f"PostgreSQL {PG_MAJOR} is required but {bin_dir} holds {version}: "
            f"apt-get install postgresql-{PG_MAJOR} postgresql-{PG_MAJOR}-postgis-3"
        )
    extension_dir = Path(share) / "extension"
    if not (extension_dir / "postgis.control").is_file():
        raise PostgresNotInstalled(
            f"PostGIS is not installed for PostgreSQL {PG_MAJOR} (no postgis.control in "
            f"{extension_dir}): apt-get install postgresql-{PG_MAJOR}-postgis-3"
        )
    return bin_dir


class EmbeddedPostgres:
    """A PostgreSQL 15 cluster with PostGIS in ``root``, reachable over a Unix socket.

    Parameters
    ----------
    root
        ``$WANGGE_DATA_DIR/pg``; created on first start.
    dbname
        The database to create, with the ``postgis`` extension, on start.
    pg_bin
        The PostgreSQL ``bin`` directory; by default :func:`find_pg_bin` finds it.
    timeout
        Seconds to wait for the server to start, stop, or shed a crashed predecessor.
    """

    #: The port number the socket file is named after (a standby beside us takes another).
    port = PORT

    def __init__(
        self,
        root: Path,
        dbname: str = "wangge",
        *,
        pg_bin: Path | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.root = Path(root).resolve()
        self.data_dir = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.dbname = dbname
        self.timeout = timeout
        self._pg_bin = pg_bin
        self._url: str | None = None
        self._bin_dir: Path | None = None
        self._started_pid: int | None = None  # the postmaster this object started, if any
        self._stopping = False

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database; only after :meth:`start`."""
        if self._url is None:
            raise DatabaseSetupError(f"the embedded PostgreSQL in {self.root} is not started")
        return self._url

    def start(self) -> str:
        """Start (or recover, or attach to) the server and return the database URL.

        Creates the cluster on first use, then the database and the ``postgis`` extension.
        Calling it again while the server runs just returns the URL.
        """
        if self._url is not None and self._live_postmaster() is not None:
            return self._url
        bin_dir = self._bin_dir = find_pg_bin(None if self._pg_bin is None else [self._pg_bin])
        account = _server_account()
        self._prepare_root(account)
        with (self.root / ".start.lock").open("rb") as lock:  # one start() at a time per root
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(bin_dir, account)
            pid = self._live_postmaster()
            if pid is None:
                sock_dir = self._socket_dir(account)
                self._clear_leftovers(sock_dir)
                self._write_config(sock_dir, account)
            else:
                logger.info("attaching to PostgreSQL (pid %d) serving %s", pid, self.root)
            try:
                if pid is None:
                    self._start_server(bin_dir)
                sock, port = self._wait_ready()
                self._started_pid = self._live_postmaster() if pid is None else None
                self._ensure_database(sock, port)
            except BaseException:  # a failure or Ctrl-C must not leave our server behind
                if pid is None:
                    self._started_pid = self._live_postmaster()
                    with contextlib.suppress(DatabaseSetupError):
                        self.stop()
                raise
        self._url = (
            f"postgresql+psycopg://{SUPERUSER}@/{quote(self.dbname, safe='')}"
            f"?host={quote(sock)}&port={port}"
        )
        return self._url

    def is_running(self) -> bool:
        """Whether a server runs on our data directory, whoever started it."""
        return self._live_postmaster() is not None

    def stop(self) -> None:
        """Shut the server down fast (``pg_ctl -m fast``) if this object started it.

        A server this object merely attached to, or one that replaced the server it started
        after a crash, is left to whoever started it. Idempotent, and safe to call from a
        signal handler or ``atexit``, also while a call is in progress.
        """
        if self._stopping:
            return
        self._stopping = True
        try:
            pid = self._live_postmaster()
            if self._bin_dir and pid is not None and pid == self._started_pid:
                self._pg_ctl(self._bin_dir, "stop", "-m", "fast")
                logger.info("stopped the embedded PostgreSQL in %s", self.root)
        finally:
            self._started_pid = self._url = None
            self._stopping = False

    def shutdown(self) -> None:
        """Stop whatever server runs on this data directory, whoever started it.

        For cleaning up after a process that was killed before it could stop its server.
        """
        if self._live_postmaster() is None:
            return
        bin_dir = self._bin_dir or find_pg_bin(None if self._pg_bin is None else [self._pg_bin])
        self._pg_ctl(bin_dir, "stop", "-m", "fast")
        logger.info("shut down the embedded PostgreSQL in %s", self.root)
        self._started_pid = self._url = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- directories and files ------------------------------------------------------------

    def _prepare_root(self, account: pwd.struct_passwd) -> None:
        """Create ``root`` and ``root/data``; as root, hand them to the server's account."""
        fresh = not self.root.exists()
        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        (self.root / ".start.lock").touch()
        if os.geteuid() != 0:
            return
        _grant_search(self.root, account)
        if any(p.stat().st_uid != account.pw_uid for p in (self.root, self.data_dir)):
            if not fresh:
                logger.warning("handing %s over to the %s user", self.root, account.pw_name)
            for top, dirs, files in os.walk(self.root):
                for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
                    os.chown(name, account.pw_uid, account.pw_gid, follow_symlinks=False)

    def _socket_dir(self, account: pwd.struct_passwd) -> Path:
        """``root/sock``, or a private ``/tmp`` directory when that path is too long."""
        sock = self.root / "sock"
        socket_path = str(sock / f".s.PGSQL.{self.port}")
        if len(os.fsencode(socket_path)) > SOCKET_PATH_MAX or set(socket_path) & set("'\",\\"):
            digest = hashlib.sha256(os.fsencode(self.data_dir)).hexdigest()[:16]
            fallback = Path("/tmp") / f"wangge-pg-{digest}"
            why = "socket path in %s would be longer than %d bytes or need quoting; using %s"
            logger.warning(why, sock, SOCKET_PATH_MAX, fallback)
            sock = fallback
        with contextlib.suppress(FileExistsError):
            sock.mkdir(mode=0o700)
        info = sock.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid():
            os.chown(sock, account.pw_uid, account.pw_gid)
        elif not stat.S_ISDIR(info.st_mode) or info.st_uid != account.pw_uid:
            raise DatabaseSetupError(
                f"socket directory {sock} is not a directory owned by {account.pw_name}; remove it"
            )
        sock.chmod(0o700)
        return sock

    def _write_config(self, sock: Path, account: pwd.struct_passwd) -> None:
        """(Re)write ``data/wangge.conf`` and make ``postgresql.conf`` include it, last."""
        settings = {
            **SERVER_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{sock}'",
        }
        conf = self.data_dir / CONF_NAME
        conf.write_text(
            "# Written by geo/embedded.py on every start; edits here are overwritten.\n"
            + "".join(f"{name} = {value}\n" for name, value in settings.items())
        )
        os.chown(conf, account.pw_uid, account.pw_gid)
        main = self.data_dir / "postgresql.conf"
        include = f"include = '{CONF_NAME}'"
        if include not in main.read_text():
            with main.open("a") as f:
                f.write(f"\n{include}\n")

    def _failure(self, summary: str, detail: str = "") -> DatabaseSetupError:
        """``summary: <the server's last FATAL, else detail>``, then the tail of its log."""
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-15:]
        except OSError:
            tail = []
        fatal = [line.split("FATAL:", 1)[1].strip() for line in tail if "FATAL:" in line]
        detail = fatal[-1] if fatal else detail
        summary += f": {detail}" if detail else ""
        return DatabaseSetupError("\n".join([summary, f"--- tail of {self.log_path} ---", *tail]))

    # -- the server -----------------------------------------------------------------------

    def _run_as_server(self, args: list[str]) -> str:
        return _run(args, SERVER_USER if os.geteuid() == 0 else None, cwd=self.root)

    def _initdb(self, bin_dir: Path, account: pwd.struct_passwd) -> None:
        if any(self.data_dir.iterdir()):
            raise DatabaseSetupError(
                f"{self.data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                "move it away"
            )
        logger.info("creating the PostgreSQL cluster in %s", self.data_dir)
        self._run_as_server(
            [
                str(bin_dir / "initdb"),
                *("-D", str(self.data_dir), "-U", SUPERUSER, "-E", "UTF8"),
                # C.UTF-8 classifies Chinese text; C collation sorts UTF-8 by code point, fast.
                "--locale=C.UTF-8",
                "--lc-collate=C",
                *("--auth-local=trust", "--auth-host=reject", "--no-instructions"),
            ]
        )

    def _pg_ctl(self, bin_dir: Path, *args: str) -> None:
        wait = ["-w", "-t", str(round(self.timeout)), "-s"]
        self._run_as_server([str(bin_dir / "pg_ctl"), *args, "-D", str(self.data_dir), *wait])

    def _start_server(self, bin_dir: Path) -> None:
        logger.info("starting PostgreSQL in %s (log: %s)", self.data_dir, self.log_path)
        try:
            self._pg_ctl(bin_dir, "start", "-l", str(self.log_path))
        except DatabaseSetupError as exc:
            raise self._failure("PostgreSQL did not start", str(exc)) from exc

    def _pid_file(self) -> list[str]:
        """The lines of ``postmaster.pid``: pid, data dir, start time, port, socket dir, ..."""
        try:
            return (self.data_dir / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            return []

    def _is_ours(self, pid: int) -> bool:
        """Whether ``pid`` is a live ``postgres`` process working in our data directory."""
        proc = Path("/proc", str(pid))
        try:
            exe, cwd = os.readlink(proc / "exe"), os.readlink(proc / "cwd")
        except OSError:  # gone, a zombie, or not ours to look at
            return False
        return Path(exe.removesuffix(" (deleted)")).name == "postgres" and cwd == str(self.data_dir)

    def _live_postmaster(self) -> int | None:
        """The pid of the server running on our data directory, waiting out a shutdown."""
        deadline = time.monotonic() + self.timeout
        while True:
            lines = self._pid_file()
            if not lines or not lines[0].strip().isdigit() or not self._is_ours(int(lines[0])):
                return None
            if len(lines) < 8 or lines[7].strip() != "stopping":
                return int(lines[0])
            if time.monotonic() > deadline:
                raise DatabaseSetupError(f"PostgreSQL in {self.data_dir} is stuck shutting down")
            time.sleep(0.1)

    def _clear_leftovers(self, sock_dir: Path) -> None:
        """Kill what a crashed server left running in our data dir; drop stale lock files."""
        leftovers = [int(p) for p in os.listdir("/proc") if p.isdigit() and self._is_ours(int(p))]
        for pid in leftovers:
            logger.warning("killing process %d left behind by a crashed PostgreSQL", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + self.timeout
        while any(self._is_ours(pid) for pid in leftovers):
            if time.monotonic() > deadline:
                raise DatabaseSetupError(f"processes of a crashed PostgreSQL {leftovers} survive")
            time.sleep(0.05)
        lines = self._pid_file()
        stale = {self.data_dir / "postmaster.pid", sock_dir / f".s.PGSQL.{self.port}.lock"}
        if len(lines) >= 5 and lines[4].strip():
            stale.add(Path(lines[4].strip()) / f".s.PGSQL.{self.port}.lock")
        for path in sorted(stale):
            if path.exists():
                logger.warning("removing %s, left behind by a PostgreSQL that is gone", path)
                path.unlink()

    def _wait_ready(self) -> tuple[str, str]:
        """Wait until the server says it accepts connections; return its socket dir and port.

        "ready" in ``postmaster.pid`` is what ``pg_ctl -w`` waits for too; the connection
        :meth:`_ensure_database` makes next proves it.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            lines = self._pid_file()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return lines[4].strip(), lines[3].strip()
            if self._live_postmaster() is None:
                raise self._failure(f"PostgreSQL in {self.data_dir} exited while starting")
            if time.monotonic() > deadline:
                raise self._failure(f"PostgreSQL was not ready within {self.timeout:g} s")
            time.sleep(0.1)

    def _ensure_database(self, sock: str, port: str) -> None:
        """Create the database if missing and the ``postgis`` extension in it."""
        where = make_conninfo(host=sock, port=port, user=SUPERUSER, connect_timeout=10)
        try:
            with psycopg.connect(where, dbname="postgres", autocommit=True) as conn:
                known = "SELECT 1 FROM pg_database WHERE datname = %s"
                if conn.execute(known, [self.dbname]).fetchone() is None:
                    logger.info("creating database %s", self.dbname)
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))
            with psycopg.connect(where, dbname=self.dbname, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            summary = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            raise DatabaseSetupError(
                f"could not prepare database {self.dbname}: {summary}"
            ) from exc


def _run(args: list[str], as_user: str | None = None, cwd: Path | None = None) -> str:
    """Run ``args`` (as ``as_user``, via runuser), return stdout; failures are one line.

    pg_ctl bounds its own waits (``-t``); the timeout here only catches a hang.
    """
    name = Path(args[0]).name
    if as_user is not None:
        args = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", as_user, "--", *args]
    try:
        done = subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DatabaseSetupError(f"{name} could not run: {exc}") from exc
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        raise DatabaseSetupError(f"{name} failed (exit {done.returncode}): {output[-1]}")
    return done.stdout


def _server_account() -> pwd.struct_passwd:
    """The account the server runs as: ``postgres`` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise DatabaseSetupError(
            f"running as root but there is no {SERVER_USER!r} user to run PostgreSQL as"
        ) from None


def _grant_search(path: Path, account: pwd.struct_passwd) -> None:
    """Add the search (x) bit that ``account`` needs on each ancestor of ``path`` lacking it."""
    groups = set(os.getgrouplist(account.pw_name, account.pw_gid))
    for parent in reversed(path.parents):
        info = parent.stat()
        if info.st_uid == account.pw_uid:
            bit, label = stat.S_IXUSR, "u+x"
        elif info.st_gid in groups:
            bit, label = stat.S_IXGRP, "g+x"
        else:
            bit, label = stat.S_IXOTH, "o+x"
        if not info.st_mode & bit:
            parent.chmod(stat.S_IMODE(info.st_mode) | bit)
            logger.warning(
                "chmod %s %s so the %s user can reach %s", label, parent, account.pw_name, path
            )
