"""The service outlives its database: a killed embedded postmaster is restarted by the watchdog.

Each test has its own cluster under ``var/`` (nothing here touches the session database).
The first watches a bare cluster, the second a running service with an open event stream.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy

from access.accounts import create_account
from api import tokens
from api.app import create_app
from geo import db
from geo.embedded import EmbeddedPostgres
from geo.settings import Settings
from tests.helpers import serving
from tests.test_embedded import postmaster_pid, query, shut_down, wait_until, works_in

VAR = Path(__file__).resolve().parents[1] / "var"


@pytest.fixture
def data_dir() -> Iterator[Path]:
    top = VAR / f"test-recovery-{uuid.uuid4().hex[:8]}"
    yield top
    shut_down(top / "pg")
    shutil.rmtree(top, ignore_errors=True)


def _kill_postmaster(root: Path) -> int:
    pid = postmaster_pid(root)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not works_in(pid, root / "data"), "the postmaster is gone")
    return pid


def test_the_watchdog_restarts_a_killed_postmaster_backing_off_while_it_fails(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="geo.db")
    root = data_dir / "pg"
    pg = EmbeddedPostgres(root, timeout=10)
    url = pg.start()
    query(url, "CREATE TABLE visit (id int); INSERT INTO visit VALUES (7)")
    watchdog = db.Watchdog(pg, every_s=0.2)
    watchdog.start()
    try:
        conf = root / "data" / "postgresql.conf"
        good = conf.read_text()
        conf.write_text(good + "no_such_setting = 1\n")  # the first restarts must fail
        killed = _kill_postmaster(root)
        wait_until(
            lambda: "attempt 2; next in 0.8 s" in caplog.text, "two restarts failed", timeout=30
        )
        conf.write_text(good)
        wait_until(lambda: watchdog.restarts == 1, "the watchdog restarted it", timeout=30)
        assert postmaster_pid(root) != killed
        assert query(url, "SELECT id FROM visit") == [(7,)]
        messages = [r.getMessage() for r in caplog.records if r.name == "geo.db"]
        assert messages[0] == f"the embedded PostgreSQL in {root.resolve()} is gone; restarting it"
        assert messages[1].startswith(
            "restarting the embedded PostgreSQL failed (attempt 1; next in 0.4 s): "
            "PostgreSQL did not start: configuration file"
        )
        assert messages[-1].startswith(f"restarted the embedded PostgreSQL in {root.resolve()}")
        assert messages[-1].endswith("(after 2 failed attempts)") or messages[-1].endswith(
            "(after 3 failed attempts)"
        )
    finally:
        watchdog.stop()
        pg.stop()
    assert not pg.is_running()  # a stopped watchdog restarts nothing
    time.sleep(0.5)
    assert not pg.is_running()


def _read_stream(base: str, headers: dict[str, str], out: queue.Queue, stop: threading.Event):
    with (
        contextlib.suppress(httpx.HTTPError),
        httpx.Client(base_url=base, timeout=None, headers=headers) as http,
        http.stream("GET", "/api/v1/stream") as response,
    ):
        event = None
        for line in response.iter_lines():
            if line.startswith(": connected"):
                out.put(("connected", None))
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.put((event, line[6:]))
            if stop.is_set():
                return


def test_a_service_is_healthy_again_within_seconds_and_streams_are_told_to_reset(
    data_dir: Path,
) -> None:
    settings = Settings(data_dir=data_dir, database_url=None, load_sample_data=False)
    prepared = db.prepare(settings)  # a bare schema with one generation and one account
    with prepared.engine.begin() as conn:
        conn.execute(
            sqlalchemy.text(
                "INSERT INTO generation (id, description, activated_at) VALUES (1, '测试', now())"
            )
        )
        admin = create_account(conn, username="admin", password=None, role="admin")
    prepared.close()
    token = tokens.issue(settings, admin.id, "access").token
    headers = {"Authorization": f"Bearer {token}"}
    root = settings.pg_dir

    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    with serving(create_app(settings)) as base:
        assert httpx.get(f"{base}/api/v1/health").status_code == 200
        threading.Thread(
            target=_read_stream, args=(base, headers, events, stop), daemon=True
        ).start()
        assert events.get(timeout=10) == ("connected", None)

        _kill_postmaster(root)
        killed_at = time.monotonic()
        wait_until(
            lambda: httpx.get(f"{base}/api/v1/health").status_code == 200,
            "the service is healthy again",
            timeout=15,
        )
        healthy_after = time.monotonic() - killed_at
        event, data = events.get(timeout=15)
        assert (event, data) == ("reset", '{"kind": "reset", "reason": "reconnected"}')
        stop.set()
    assert healthy_after < 15


def test_an_external_database_is_never_restarted(data_dir: Path) -> None:
    with EmbeddedPostgres(data_dir / "pg") as pg:  # someone else's server, reached by URL
        external = db.Database(pg.url, sqlalchemy.create_engine(pg.url))
        external.watch()
        assert external.watchdog is None
        external.close()
        assert pg.is_running()  # closing a database we did not start leaves it running
