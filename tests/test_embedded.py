"""The embedded PostGIS against a real PostgreSQL 15: first start, restart, crash recovery.

Each test gets its own cluster under ``var/`` (initdb takes about a second) and stops it
afterwards, whatever happened.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy
from sqlalchemy.pool import NullPool

from geo.embedded import EmbeddedPostgres, find_pg_bin
from geo.errors import DatabaseSetupError, PostgresNotInstalled

VAR = Path(__file__).resolve().parents[1] / "var"
SERVER_USER = "postgres" if os.geteuid() == 0 else None


def query(url: str, statement: str) -> list[tuple[object, ...]]:
    """Run one statement through SQLAlchemy, the way the service will, and commit."""
    engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(sqlalchemy.text(statement))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def socket_dir(url: str) -> Path:
    return Path(str(sqlalchemy.make_url(url).query["host"]))


def postmaster_pid(root: Path) -> int:
    return int((root / "data" / "postmaster.pid").read_text().split()[0])


def works_in(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is alive with ``data_dir`` as its working directory (a server process)."""
    try:
        return os.readlink(f"/proc/{pid}/cwd") == str(data_dir.resolve())
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def shut_down(root: Path) -> None:
    """Stop whatever server still runs in ``root``, for cleanup after a failed test."""
    data_dir = root / "data"
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        if works_in(pid, data_dir):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def root() -> Iterator[Path]:
    """A fresh ``pg`` directory under ``var/``, removed with any server in it afterwards."""
    top = VAR / f"test-embedded-{uuid.uuid4().hex[:8]}"
    yield top / "pg"
    shut_down(top / "pg")
    shutil.rmtree(top, ignore_errors=True)


def test_first_start_in_a_private_tmp_path_creates_cluster_database_and_postgis(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # pytest's tmp dirs are 0700 and root-owned: the postgres user must be let through them.
    root = tmp_path / "pg"
    pg = EmbeddedPostgres(root)
    caplog.set_level(logging.INFO, logger="geo.embedded")
    try:
        url = pg.start()
        assert url == f"postgresql+psycopg://postgres@/wangge?host={root}/sock&port=5432"
        assert pg.start() == url  # idempotent
        assert pg.url == url
        [(postgis, listen, encoding, ctype)] = query(
            url,
            "SELECT postgis_lib_version(), current_setting('listen_addresses'),"
            " current_setting('server_encoding'), current_setting('lc_ctype')",
        )
        assert str(postgis).startswith("3.")
        assert (listen, encoding, ctype) == ("", "UTF8", "C.UTF-8")
        assert (root / "data" / "PG_VERSION").read_text().strip() == "15"
        assert (
            "database system is ready to accept connections" in (root / "postgres.log").read_text()
        )
        if SERVER_USER:
            assert root.stat().st_uid == (root / "data").stat().st_uid != 0
            assert any(f"chmod o+x {tmp_path.parent}" in r.getMessage() for r in caplog.records)
        pg.stop()
        pg.stop()  # twice is fine
        assert not (root / "data" / "postmaster.pid").exists()
        with pytest.raises(DatabaseSetupError, match="not started"):
            pg.url  # noqa: B018
    finally:
        shut_down(root)
        shutil.rmtree(root, ignore_errors=True)


def test_restart_keeps_tables_and_rows(root: Path) -> None:
    with EmbeddedPostgres(root) as pg:
        query(pg.url, "CREATE TABLE visit (id int PRIMARY KEY, at geometry(Point, 4490))")
        query(pg.url, "INSERT INTO visit VALUES (1, 'SRID=4490;POINT(110.04 40.4)'), (2, NULL)")
    assert not (root / "data" / "postmaster.pid").exists()

    with EmbeddedPostgres(root) as pg:
        rows = query(pg.url, "SELECT id, ST_AsEWKT(at) FROM visit ORDER BY id")
    assert rows == [(1, "SRID=4490;POINT(110.04 40.4)"), (2, None)]


def test_start_recovers_after_the_postmaster_is_killed_leaving_a_backend_behind(
    root: Path,
) -> None:
    first = EmbeddedPostgres(root)
    url = first.start()
    query(url, "CREATE TABLE visit (id int); INSERT INTO visit VALUES (7)")
    with psycopg.connect(url.replace("postgresql+psycopg:", "postgresql:")) as conn:
        backend = conn.info.backend_pid
        os.kill(backend, signal.SIGSTOP)  # a stuck backend keeps the shared memory in use
        postmaster = postmaster_pid(root)
        os.kill(postmaster, signal.SIGKILL)
        wait_until(lambda: not works_in(postmaster, root / "data"), "the postmaster is gone")
        assert works_in(backend, root / "data")

        second = EmbeddedPostgres(root)
        try:
            assert second.start() == url
            assert query(url, "SELECT id FROM visit") == [(7,)]
            wait_until(lambda: not works_in(backend, root / "data"), "the server process exited")
            assert postmaster_pid(root) != postmaster
            assert "automatic recovery in progress" in (root / "postgres.log").read_text()
            first.stop()  # the server it started is gone; the new one is not its to stop
            assert query(url, "SELECT count(*) FROM visit") == [(1,)]
        finally:
            second.stop()
        conn.close()


@pytest.mark.parametrize("holder", ["dead", "unrelated"])
def test_start_recovers_from_a_stale_pid_file(
    root: Path, holder: str, request: pytest.FixtureRequest
) -> None:
    with EmbeddedPostgres(root) as pg:
        query(pg.url, "CREATE TABLE visit (id int); INSERT INTO visit VALUES (7)")
        sock = socket_dir(pg.url)
    # "unrelated": the pid was reused by a live process of the server's user, which
    # PostgreSQL alone would take for a running postmaster and refuse to start.
    child = subprocess.Popen(
        ["sleep", "60"] if holder == "unrelated" else ["true"], user=SERVER_USER
    )
    if holder == "dead":
        child.wait()  # reaped: its pid is dead
    pid = child.pid
    request.addfinalizer(child.kill)
    data_dir = root / "data"
    (data_dir / "postmaster.pid").write_text(
        f"{pid}\n{data_dir}\n{int(time.time())}\n5432\n{sock}\n\n  5432001    42\nready   \n"
    )
    (sock / ".s.PGSQL.5432.lock").write_text(f"{pid}\n{data_dir}\n{int(time.time())}\n")

    with EmbeddedPostgres(root) as pg:
        assert postmaster_pid(root) != pid
        assert query(pg.url, "SELECT id FROM visit") == [(7,)]


def test_a_server_that_will_not_start_is_reported_with_its_fatal_and_log_tail(
    root: Path,
) -> None:
    with EmbeddedPostgres(root):
        pass
    with (root / "data" / "postgresql.conf").open("a") as conf:
        conf.write("no_such_setting = 1\n")

    with pytest.raises(DatabaseSetupError) as caught:
        EmbeddedPostgres(root, timeout=10).start()
    summary, *rest = str(caught.value).splitlines()
    conf_path = root.resolve() / "data" / "postgresql.conf"
    assert summary == (
        f'PostgreSQL did not start: configuration file "{conf_path}" contains errors'
    )
    assert rest[0] == f"--- tail of {root.resolve() / 'postgres.log'} ---"
    assert any('unrecognized configuration parameter "no_such_setting"' in line for line in rest)


def test_a_start_that_fails_after_launching_the_server_stops_it_again(root: Path) -> None:
    # template0 exists but refuses connections: CREATE EXTENSION cannot run in it.
    with pytest.raises(DatabaseSetupError, match="could not prepare database template0: "):
        EmbeddedPostgres(root, dbname="template0").start()
    assert (root / "data" / "PG_VERSION").exists()
    assert not (root / "data" / "postmaster.pid").exists()


def test_a_second_instance_attaches_and_leaves_the_server_to_its_owner(root: Path) -> None:
    owner = EmbeddedPostgres(root)
    url = owner.start()
    pid = postmaster_pid(root)
    try:
        guest = EmbeddedPostgres(root)
        assert guest.start() == url
        assert postmaster_pid(root) == pid
        guest.stop()
        assert query(url, "SELECT 1") == [(1,)]
    finally:
        owner.stop()
    wait_until(lambda: not works_in(pid, root / "data"), "the server process exited")


def test_a_root_too_deep_for_a_unix_socket_uses_a_short_private_socket_dir(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    deep = root / ("d" * 60) / "pg"
    with EmbeddedPostgres(deep) as pg:
        sock = socket_dir(pg.url)
        try:
            assert sock.parent == Path("/tmp") and sock.name.startswith("wangge-pg-")
            assert sock.stat().st_mode & 0o777 == 0o700
            assert sock.stat().st_uid == (deep / "data").stat().st_uid
            assert query(pg.url, "SELECT current_database()") == [("wangge",)]
            assert any("longer than 107 bytes" in r.getMessage() for r in caplog.records)
        finally:
            pg.stop()
            shutil.rmtree(sock, ignore_errors=True)
    shut_down(deep)


def test_find_pg_bin_names_the_package_when_postgresql_is_missing(tmp_path: Path) -> None:
    with pytest.raises(PostgresNotInstalled) as caught:
        find_pg_bin([tmp_path / "no-such-bin"])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("PostgreSQL 15 is not installed")
    assert message.endswith("apt-get install postgresql-15 postgresql-15-postgis-3")


def test_find_pg_bin_names_postgis_when_its_extension_is_missing(tmp_path: Path) -> None:
    # A relocated copy of the real pg_config reports tmp_path/share as its share dir.
    real = find_pg_bin()
    bin_dir = tmp_path / "lib" / "postgresql" / "15" / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy2(real / "pg_config", bin_dir / "pg_config")
    for name in ("initdb", "pg_ctl", "postgres"):
        (bin_dir / name).symlink_to(real / name)
    extension_dir = tmp_path / "share" / "postgresql" / "15" / "extension"
    extension_dir.mkdir(parents=True)

    with pytest.raises(PostgresNotInstalled) as caught:
        find_pg_bin([bin_dir])
    assert str(caught.value) == (
        f"PostGIS is not installed for PostgreSQL 15 (no postgis.control in {extension_dir}):"
        " apt-get install postgresql-15-postgis-3"
    )
