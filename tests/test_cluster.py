"""Several service processes on one PostGIS, behind Debian's HAProxy (issue #20).

Real processes, started by ``api/cluster.py`` as ``wangge cluster`` starts them, on the
session's database: a report filed through one process reaches a live map open on the
other; a rate limit holds across both; the supervision sweep issues a notice once however
many processes sweep; PgBouncer in transaction pooling carries intake and live events; and
killing one of two processes under a stream of reports loses no accepted report while
HAProxy sends everything to the other and the live map that was on it, reconnecting, is told
to ``reset``.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, text

from access.accounts import AccountRow
from api.cluster import Cluster
from cases.loop import supervision
from geo import db
from geo.pgbouncer import PORT, PgBouncer
from geo.settings import Settings
from tests.helpers import fresh_account, point_inside

#: Reports a minute per account in the two-process cluster (the rate-limit test spends them).
INTAKE_RATE = 5
#: Failed sign-ins a minute per client address in the two-process cluster.
LOGIN_RATE = 3
UNLIMITED = {"WANGGE_INTAKE_RATE": "1000000/minute"}


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _cluster(url: str, processes: int, pooler: str | None = None, **env: str) -> Cluster:
    front, *ports = _free_ports(processes + 1)
    cluster = Cluster(front, ports, url, pooler, env=env)
    cluster.start()
    return cluster


@pytest.fixture(scope="module")
def reporter(engine: Engine, accounts: dict[str, AccountRow]) -> Callable[[], dict[str, str]]:
    """``reporter()``: the headers of a new admin account, whose intake allowance is whole
    (its token signed with the default settings, as the processes have them)."""
    settings = Settings()
    return lambda: fresh_account(engine, settings, accounts["admin"])[1]


@pytest.fixture(scope="module")
def spot(engine: Engine, accounts: dict[str, AccountRow]) -> tuple[float, float]:
    """Where the reports are filed: a micro-grid of township 150621002, so that the recent
    requests of 150621001, whose Open311 window tests/test_open311_public.py reads, stay as
    the sample has them."""
    with engine.connect() as conn:
        return point_inside(conn, accounts["party_member_peer"].area_code)


def _report(
    base: str, headers: dict[str, str], spot: tuple[float, float], key: str | None = None
) -> httpx.Response:
    lon, lat = spot
    return httpx.post(
        f"{base}/api/v1/incidents",
        json={"lon": lon, "lat": lat, "datum": "cgcs2000", "category": "0101"},
        headers={"Idempotency-Key": key or str(uuid.uuid4()), **headers},
        timeout=30,
    )


class LiveMap:
    """A live map's stream, read as a browser's EventSource reads it: it keeps the stream's
    id and, when asked to :meth:`reconnect`, sends it back as ``Last-Event-ID``."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base, self.headers = base, headers
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.last_id: str | None = None
        self._stop = threading.Event()
        self.connect()

    def connect(self) -> None:
        opened = threading.Event()
        threading.Thread(target=self._read, args=(opened,), daemon=True).start()
        assert opened.wait(10), "stream did not open"

    def _read(self, opened: threading.Event) -> None:
        headers = {**self.headers, **({"Last-Event-ID": self.last_id} if self.last_id else {})}
        event = None
        try:
            with httpx.stream(
                "GET", f"{self.base}/api/v1/stream", headers=headers, timeout=None
            ) as response:
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        self.last_id = line[4:]
                    elif line.startswith(": connected"):
                        opened.set()
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        self.events.put((str(event), json.loads(line[6:])))
                    if self._stop.is_set():
                        return
        except httpx.HTTPError:
            pass
        self.events.put(("closed", None))

    def next(self, kind: str, code: str | None = None, timeout: float = 10) -> Any:
        """The next event of ``kind`` (about the incident ``code``), skipping the others."""
        deadline = time.monotonic() + timeout
        while True:
            event, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if event == kind and (code is None or data.get("code") == code):
                return data

    def close(self) -> None:
        self._stop.set()


@pytest.fixture
def live_maps() -> Iterator[Callable[[str, dict[str, str]], LiveMap]]:
    opened: list[LiveMap] = []

    def open_map(base: str, headers: dict[str, str]) -> LiveMap:
        opened.append(LiveMap(base, headers))
        return opened[-1]

    yield open_map
    for live_map in opened:
        live_map.close()


# --- two processes started together ------------------------------------------------------


def _make_due(engine: Engine) -> dict[str, Any]:
    """An open case made due in 30 hours (its warning is due now); its old state. One the
    sweep has never noticed if there is one; else (earlier tests' live servers swept every
    case they found due) one whose notices are set aside for the test and put back after."""
    with engine.begin() as c:
        row = c.execute(
            text(
                "SELECT id, step_due_at, deadline_at, card, version, "
                "(SELECT coalesce(max(e.id), 0) FROM incident_event e "
                " WHERE e.incident_id = i.id) AS last_event FROM incident i "
                "WHERE status = 'in_progress' ORDER BY EXISTS (SELECT 1 FROM supervision_notice "
                "n WHERE n.incident_id = i.id), id LIMIT 1"
            )
        ).one()
        notices = c.execute(
            text("SELECT kind, due_at, at FROM supervision_notice WHERE incident_id = :id"),
            {"id": row.id},
        ).all()
        c.execute(text("DELETE FROM supervision_notice WHERE incident_id = :id"), {"id": row.id})
        c.execute(
            text(
                "UPDATE incident SET step_due_at = now() + interval '30 hours', "
                "deadline_at = now() + interval '30 hours', card = 'none' WHERE id = :id"
            ),
            {"id": row.id},
        )
    return {**row._mapping, "notices": [dict(n._mapping) for n in notices]}


def _restore(engine: Engine, saved: dict[str, Any]) -> None:
    with engine.begin() as c:
        c.execute(text("SET LOCAL session_replication_role = replica"))
        c.execute(
            text(
                "DELETE FROM incident_event WHERE incident_id = :id AND kind = 'supervision' "
                "AND id > :last_event"
            ),
            saved,
        )
        c.execute(text("DELETE FROM supervision_notice WHERE incident_id = :id"), saved)
        for notice in saved["notices"]:
            c.execute(
                text(
                    "INSERT INTO supervision_notice (incident_id, kind, due_at, at) "
                    "VALUES (:id, :kind, :due_at, :at)"
                ),
                {"id": saved["id"], **notice},
            )
        c.execute(
            text(
                "UPDATE incident SET step_due_at = :step_due_at, deadline_at = :deadline_at, "
                "card = :card, version = :version WHERE id = :id"
            ),
            saved,
        )


@pytest.fixture(scope="module")
def pair(database: db.Database, engine: Engine) -> Iterator[tuple[Cluster, int]]:
    """Two processes (HAProxy in front) started together, intake limited to INTAKE_RATE a
    minute, and the id of a case the supervision sweep warns about from the moment they start
    (each sweeps at start-up, and then every minute)."""
    saved = _make_due(engine)
    try:
        cluster = _cluster(
            database.service_url,
            2,
            WANGGE_INTAKE_RATE=f"{INTAKE_RATE}/minute",
            WANGGE_LOGIN_RATE=f"{LOGIN_RATE}/minute",
        )
        try:
            yield cluster, saved["id"]
        finally:
            cluster.stop()
    finally:
        _restore(engine, saved)


def test_a_report_filed_through_one_process_reaches_a_map_on_the_other(
    pair, live_maps, reporter, spot
):
    a, b = pair[0].processes
    headers = reporter()
    on_b = live_maps(b.base, headers)
    filed = _report(a.base, headers, spot)
    assert filed.status_code == 201, filed.text
    assert on_b.next("created")["code"] == filed.json()["code"]


def test_a_rate_limit_holds_across_processes(pair, reporter, spot):
    a, b = pair[0].processes
    headers = reporter()
    answers = [_report((a, b)[i % 2].base, headers, spot) for i in range(INTAKE_RATE + 1)]
    assert [r.status_code for r in answers] == [201] * INTAKE_RATE + [429]
    assert answers[-1].json()["code"] == "rate_limited"
    assert _report(a.base, headers, spot).status_code == 429  # whichever process is asked
    assert _report(b.base, reporter(), spot).status_code == 201  # another account is not


def _sign_in(base: str, forged: str) -> int:
    """A failed sign-in (an unknown user) claiming to come from ``forged``; the status."""
    return httpx.post(
        f"{base}/api/v1/auth/login",
        json={"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "wrong-password"},
        headers={"X-Forwarded-For": forged},
        timeout=30,
    ).status_code


def test_forwarded_addresses_are_believed_from_haproxy_only(pair):
    """Failed sign-ins count per client address. A client's own X-Forwarded-For is believed
    neither by a process nor through HAProxy (which replaces it); HAProxy's is, so the real
    address (127.0.0.1), not HAProxy's (127.0.0.2), is the one counted."""
    cluster, _ = pair
    a, _ = cluster.processes
    answers = [_sign_in(a.base, f"10.9.9.{i}") for i in range(LOGIN_RATE - 1)]
    answers.append(_sign_in(cluster.base, "10.9.9.9"))
    assert answers == [401] * LOGIN_RATE
    assert _sign_in(cluster.base, "10.9.9.10") == 429  # 127.0.0.1 has spent its three


def _warnings(engine: Engine, case_id: int) -> tuple[int, int]:
    with engine.connect() as c:
        return tuple(
            c.execute(
                text(
                    "SELECT (SELECT count(*) FROM supervision_notice WHERE incident_id = :id "
                    "AND kind = 'warning'), (SELECT count(*) FROM incident_event WHERE "
                    "incident_id = :id AND kind = 'supervision' AND data->>'card' = 'warning')"
                ),
                {"id": case_id},
            ).one()
        )


def test_the_supervision_sweep_warns_once_across_processes(pair, engine):
    _, case_id = pair
    deadline = time.monotonic() + 30
    while _warnings(engine, case_id) == (0, 0):
        assert time.monotonic() < deadline, "no process swept"
        time.sleep(0.2)
    time.sleep(1)  # the other process's first sweep has long finished: each takes < 1 s
    issued = supervision.run(engine)  # and a third sweeper, after them
    assert issued is None or issued["warning"] == 0
    assert _warnings(engine, case_id) == (1, 1)


# --- PgBouncer ----------------------------------------------------------------------------


def _pgbouncer_clients(bouncer: PgBouncer, database: str) -> int:
    """Client connections PgBouncer holds for ``database`` (its admin console's SHOW CLIENTS,
    asked in the simple query protocol, the only one the console speaks)."""
    with psycopg.connect(
        host=str(bouncer.dir), port=PORT, dbname="pgbouncer", user=db.SERVICE_ROLE
    ) as admin:
        result = admin.pgconn.exec_(b"SHOW CLIENTS")
        column = [result.fname(i) for i in range(result.nfields)].index(b"database")
        found = [result.get_value(row, column) for row in range(result.ntuples)]
    return found.count(database.encode())


def test_intake_and_live_events_through_pgbouncer(database, engine, live_maps, reporter, spot):
    bouncer = PgBouncer(database.service_url)
    pooler = bouncer.start()
    try:
        cluster = _cluster(database.service_url, 1, pooler, **UNLIMITED)
        try:
            headers = reporter()
            live_map = live_maps(cluster.base, headers)
            codes = []
            for _ in range(8):  # past psycopg's fifth run of a statement, when it would prepare
                filed = _report(cluster.base, headers, spot)
                assert filed.status_code == 201, filed.text
                codes.append(filed.json()["code"])
                assert live_map.next("created")["code"] == codes[-1]
            # GET /locate's read pool goes through it too, and never prepares either
            lon, lat = spot
            where = {"lon": lon, "lat": lat, "datum": "cgcs2000"}
            located = [
                httpx.get(f"{cluster.base}/api/v1/locate", params=where, headers=headers)
                for _ in range(8)
            ]
            assert [r.status_code for r in located] == [200] * 8, located[-1].text
            assert len({r.text for r in located}) == 1
            # the service's statements go through PgBouncer (its pool's connections are
            # PgBouncer's clients); the live event came over the direct LISTEN connection
            assert _pgbouncer_clients(bouncer, str(engine.url.database)) >= 1
        finally:
            cluster.stop()
    finally:
        bouncer.stop()
    with engine.connect() as c:
        stored = c.execute(
            text("SELECT count(*) FROM incident WHERE code = ANY(:c)"), {"c": codes}
        ).scalar_one()
    assert stored == 8


# --- a process killed under load ------------------------------------------------------------


class Reporters:
    """Files reports through HAProxy until stopped, each retried with its Idempotency-Key
    (as a client does) when the answer is a gateway error or no answer at all."""

    def __init__(self, base: str, headers: dict[str, str], spot: tuple[float, float]) -> None:
        self.base, self.headers, self.spot = base, headers, spot
        self.accepted: list[tuple[float, str, str]] = []  # (when, key, code)
        self.refused: list[tuple[str, int]] = []
        self.retries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            key = str(uuid.uuid4())
            for attempt in range(10):
                try:
                    answer = _report(self.base, self.headers, self.spot, key)
                except httpx.TransportError:
                    answer = None
                if answer is not None and answer.status_code not in (502, 503, 504):
                    break
                self.retries += 1
                time.sleep(0.2 * (attempt + 1))
            if answer is not None and answer.status_code == 201:
                self.accepted.append((time.monotonic(), key, answer.json()["code"]))
            else:
                self.refused.append((key, answer.status_code if answer else 0))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def test_killing_one_of_two_processes_loses_no_accepted_report(
    database, engine, live_maps, reporter, spot
):
    cluster = _cluster(database.service_url, 2, **UNLIMITED)
    try:
        headers = reporter()
        # HAProxy sends a new stream to the process with the fewer connections: one map each
        maps = [live_maps(cluster.base, headers), live_maps(cluster.base, headers)]
        load = Reporters(cluster.base, headers, spot)
        time.sleep(2)
        cluster.processes[0].kill()
        killed_at = time.monotonic()
        time.sleep(4)
        load.stop()
        # the map that was on the killed process lost its stream; the other did not
        closed = [m for m in maps if ("closed", None) in _drain(m)]
        assert len(closed) == 1
        dropped = closed[0]
        dropped.connect()  # an EventSource reconnects on its own, with the stream's id
        assert dropped.next("reset") == {"kind": "reset", "reason": "reconnected"}
        filed = _report(cluster.base, headers, spot)
        assert filed.status_code == 201
        for live_map in maps:  # both maps hear of a report filed now
            assert live_map.next("created", filed.json()["code"])
        health = [httpx.get(cluster.base + "/api/v1/health").status_code for _ in range(10)]
        # what `wangge cluster` does every 2 s: the ended process is started again
        assert cluster.revive() == [cluster.ports[0]]
        cluster.processes[0].wait_ready(120)
        assert cluster.revive() == []
        assert cluster.alive()
    finally:
        cluster.stop()
    assert health == [200] * 10
    assert load.refused == []
    after = [code for when, _, code in load.accepted if when > killed_at]
    assert len(after) > 0, "nothing was accepted after the kill"
    codes = [code for _, _, code in load.accepted]
    assert len(set(codes)) == len(codes)  # a retried report was accepted once
    with engine.connect() as c:
        stored = c.execute(
            text("SELECT count(*) FROM incident WHERE code = ANY(:c)"), {"c": codes}
        ).scalar_one()
    assert stored == len(codes)


def _drain(live_map: LiveMap) -> list[tuple[str, Any]]:
    seen = []
    while True:
        try:
            seen.append(live_map.events.get_nowait())
        except queue.Empty:
            return seen


# --- uvicorn's workers: wangge run --workers 2 --------------------------------------------


def test_wangge_run_with_two_workers_counts_one_limit(database, reporter, spot):
    """``wangge run --workers 2``: uvicorn's two workers share a port; the intake limit is
    counted in the database (WANGGE_RATE_LIMIT_STORE=auto chooses it), so it is one limit."""
    port = _free_ports(1)[0]
    env = {
        **os.environ,
        "WANGGE_DATABASE_URL": database.service_url,
        "WANGGE_INTAKE_RATE": f"{INTAKE_RATE}/minute",
    }
    env.pop("WANGGE_RATE_LIMIT_STORE", None)
    wangge = Path(sys.executable).parent / "wangge"
    command = [str(wangge), "run", "--port", str(port), "--workers", "2"]
    service = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert service.poll() is None, service.stderr.read() if service.stderr else ""
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "wangge run --workers 2 did not answer"
            time.sleep(0.3)
        headers = reporter()
        # a new connection each time, accepted by whichever worker is free
        answers = [_report(base, headers, spot).status_code for _ in range(INTAKE_RATE + 1)]
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert answers == [201] * INTAKE_RATE + [429]
