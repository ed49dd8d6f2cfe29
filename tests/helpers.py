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


#: The database every scratch database copies: migrated and loaded with the sample set once a
#: session, on first use (loading takes ~40 s, a copy a few).
SCRATCH_TEMPLATE = "wangge_scratch_template"


def _autocommit(engine: Engine, *statements: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in statements:
            conn.execute(text(statement))


def _scratch_template(engine: Engine) -> None:
    """Make :data:`SCRATCH_TEMPLATE` unless it exists; built under another name and renamed
    when whole, so a failure never leaves a half-loaded template behind."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from cases.sample import load_sample
    from geo import db

    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": SCRATCH_TEMPLATE}
        ).first()
    if found:
        return
    building = f"{SCRATCH_TEMPLATE}_building"
    _autocommit(
        engine, f"DROP DATABASE IF EXISTS {building} WITH (FORCE)", f"CREATE DATABASE {building}"
    )
    url = make_url(engine.url).set(database=building).render_as_string(hide_password=False)
    db.upgrade(url)
    loader = create_engine(url)
    try:
        load_sample(loader)
    finally:
        loader.dispose()
    _autocommit(engine, f"ALTER DATABASE {building} RENAME TO {SCRATCH_TEMPLATE}")


@contextmanager
def scratch_database(engine: Engine, name: str) -> Iterator[str]:
    """A fresh database on the test server with the whole sample set (a copy of
    :data:`SCRATCH_TEMPLATE`); yields its URL."""
    from sqlalchemy.engine import make_url

    _scratch_template(engine)
    _autocommit(
        engine,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} TEMPLATE {SCRATCH_TEMPLATE} STRATEGY FILE_COPY",
    )
    url = make_url(engine.url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        _autocommit(engine, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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


# --- the registry and the routines (tests/test_registry*.py, tests/test_routines*.py) -------

#: The tags of special populations and health (P3).
P3_TAGS = frozenset({"community_correction", "drug_rehab", "mental_health"})

#: A household with its house's live micro-grid: ``FROM`` this, ``WHERE`` on ``a.code``.
_HOUSEHOLDS = (
    "FROM household h JOIN house ho ON ho.id = h.house_id JOIN area a ON a.id = ho.micro_grid_id "
)


def households_in(conn: Any, prefix: str, *, outside: bool = False, limit: int = 1) -> list[Any]:
    """The first ``limit`` sample households (code, micro_grid) in code order whose micro-grid
    lies inside the area ``prefix`` (or, with ``outside``, anywhere else)."""
    where = "<>" if outside else "="
    return conn.execute(
        text(
            f"SELECT h.code, a.code AS micro_grid {_HOUSEHOLDS}"
            f"WHERE left(a.code, length(:p)) {where} :p ORDER BY h.code LIMIT :n"
        ),
        {"p": prefix, "n": limit},
    ).all()


def household_count(conn: Any, prefix: str) -> int:
    """How many households the micro-grids inside the area ``prefix`` hold."""
    return int(
        conn.execute(
            text(f"SELECT count(*) {_HOUSEHOLDS}WHERE left(a.code, length(:p)) = :p"),
            {"p": prefix},
        ).scalar_one()
    )


def micro_grid_with_p3(engine: Engine, prefix: str) -> tuple[str, int, int]:
    """The first micro-grid under ``prefix`` holding a P3 person: its code, its households and
    its P3 persons."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.code, (SELECT count(*) FROM household hh JOIN house h2 "
                "  ON h2.id = hh.house_id WHERE h2.micro_grid_id = a.id) AS households, "
                " count(DISTINCT p.id) AS p3 "
                "FROM person_tag t JOIN person p ON p.id = t.person_id "
                "JOIN household hh ON hh.id = p.household_id JOIN house h ON h.id = hh.house_id "
                "JOIN area a ON a.id = h.micro_grid_id "
                "WHERE t.tag = ANY(:p3) AND a.code LIKE :prefix || '%' "
                "GROUP BY a.id, a.code ORDER BY a.code LIMIT 1"
            ),
            {"p3": sorted(P3_TAGS), "prefix": prefix},
        ).one()
    return row.code, row.households, row.p3


def point_inside(conn: Any, code: str) -> tuple[float, float]:
    """A point (lon, lat, 7 decimals) inside the live area ``code``."""
    row = conn.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
            "WHERE code = :c AND generation_high IS NULL) s"
        ),
        {"c": code},
    ).one()
    return round(row[0], 7), round(row[1], 7)


@contextmanager
def contacts_removed(engine: Engine) -> Iterator[None]:
    """Deletes the contacts (visits) written inside the block, as the owner (the service may
    not: contacts are append-only for it)."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT coalesce(max(id), 0) FROM contact")).scalar_one()
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM contact_household WHERE contact_id > :l"), {"l": last})
            conn.execute(text("DELETE FROM contact WHERE id > :l"), {"l": last})
