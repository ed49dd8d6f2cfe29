"""Small helpers shared by the test modules."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, text


def counts(engine: Engine) -> Any:
    """Rows in the incident tables and codes handed out: what a refused request must not change.

    The trail entries the supervision sweep writes on its own clock (actor ``system``: cards,
    reminders) are left out: the service sweeps every minute while a test runs."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM incident), "
                "(SELECT count(*) FROM incident_event WHERE actor <> 'system'), "
                "(SELECT count(*) FROM idempotency_key), "
                "(SELECT coalesce(sum(last), 0) FROM incident_counter)"
            )
        ).one()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn on a free loopback port; yields its base URL."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # A long keep-alive: with the server and the test client sharing one process, a pooled
    # connection can sit unused past uvicorn's 5 s default under load, and the server closing it
    # just as the client reuses it is a ReadError that says nothing about the code under test.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=120,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def scratch_database(engine: Engine, name: str) -> Iterator[str]:
    """A fresh database on the test server with the whole sample set; yields its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from cases.sample import load_sample
    from geo import db

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(engine.url).set(database=name).render_as_string(hide_password=False)
    try:
        db.upgrade(url)
        scratch = create_engine(url)
        load_sample(scratch)
        scratch.dispose()
        yield url
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def fresh_account(engine: Engine, settings: Any, like: Any) -> tuple[str, dict[str, str]]:
    """A new account with the role and scope of ``like`` (an AccountRow) and no history, so
    that allowances counted from the audit log start at zero; its user name and headers."""
    import uuid

    from access.accounts import create_account
    from api import tokens

    username = f"{like.username}-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        account = create_account(
            conn,
            username=username,
            password=None,
            role=like.role,
            area_code=like.area_code,
            department=like.department_code,
            member_id=like.member_id,
        )
    token = tokens.issue(settings, account.id, "access").token
    return username, {"Authorization": f"Bearer {token}"}


def read_events(
    base: str,
    headers: dict[str, str],
    params: dict[str, str],
    out: queue.Queue[Any],
    ready: threading.Event,
    stop: threading.Event,
) -> None:
    """Read ``GET /api/v1/stream`` into ``out`` as (event, data, monotonic time received);
    ``ready`` is set once the stream is open. Run it in a thread; ``stop`` ends it at the
    next line."""
    import httpx

    with (
        contextlib.suppress(httpx.HTTPError),  # the server goes away at the end of the session
        httpx.Client(base_url=base, timeout=None, headers=headers) as http,
        http.stream("GET", "/api/v1/stream", params=params) as response,
    ):
        event = None
        for line in response.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.put((event, json.loads(line[6:]), time.monotonic()))
            if stop.is_set():
                return
