"""GET /api/v1/stream: a committed incident reaches an open Server-Sent Events stream."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from types import SimpleNamespace

import httpx
import pytest
import shapely
from sqlalchemy import text

from tests.helpers import read_events


@pytest.fixture
def listen(live_server, auth):
    threads = []
    stop = threading.Event()

    def start(params=None, username="admin"):
        out: queue.Queue = queue.Queue()
        ready = threading.Event()
        thread = threading.Thread(
            target=read_events,
            args=(live_server, auth(username), params or {}, out, ready, stop),
            daemon=True,
        )
        thread.start()
        threads.append(thread)
        assert ready.wait(10), "stream did not open"
        return out

    yield start
    stop.set()


def _post(base, headers, micro_row, category="0101"):
    point = shapely.point_on_surface(micro_row.geometry)
    response = httpx.post(
        f"{base}/api/v1/incidents",
        json={
            "lon": point.x,
            "lat": point.y,
            "datum": "cgcs2000",
            "category": category,
            "reporter": {"name": "王小明", "phone": "13811112222"},
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **headers},
    )
    assert response.status_code == 201
    return response.json()["code"], time.monotonic()


def _next(stream, wanted, timeout=2.0):
    """The next event that ``wanted(kind, message)`` accepts, passing over the others: the
    live server's own background work (the supervision and mediation sweeps) sends `changed`
    events of sample cases whenever it finds cards or reminders due, while a test listens."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        kind, message, received = stream.get(timeout=left)
        if wanted(kind, message):
            return kind, message, received
    raise queue.Empty


def _about(code):
    return lambda kind, message: message.get("code") == code


def _of_kind(wanted_kind):
    return lambda kind, message: message.get("kind") == wanted_kind


def test_a_new_incident_reaches_open_streams_filtered_by_area(
    live_server, admin_headers, listen, sample_areas
):
    micro = sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)
    target, elsewhere = micro.iloc[4321], micro.iloc[12]
    everything = listen()
    mine = listen({"area": target["code"][:9]})
    code, sent = _post(live_server, admin_headers, target)
    kind, message, received = _next(everything, _about(code))
    assert kind == "created"
    assert received - sent < 2.0
    assert "13811112222" not in json.dumps(message) and "王小明" not in json.dumps(message)
    assert _next(mine, _about(code))[0] == "created"
    other, _ = _post(live_server, admin_headers, elsewhere)
    assert _next(everything, _about(other))[0] == "created"
    if not elsewhere["code"].startswith(target["code"][:9]):
        with pytest.raises(queue.Empty):
            _next(mine, _about(other), timeout=0.5)


def test_each_caller_hears_only_incidents_inside_its_scope(
    live_server, admin_headers, listen, engine, accounts
):
    """A grid worker, the department an incident is routed to, and their peers elsewhere."""
    with engine.connect() as conn:
        x, y = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :c AND generation_high IS NULL) s"
            ),
            {"c": accounts["party_member"].area_code},
        ).one()
    streams = {
        name: listen(username=name)
        for name in ("grid_worker", "grid_worker_peer", "department", "department_peer")
    }
    township = listen({"area": "150621002"}, username="township")  # asks outside its scope
    place = SimpleNamespace(geometry=shapely.Point(x, y))
    code, _ = _post(live_server, admin_headers, place, category="0101")  # 邻里纠纷 → 司法局 D02
    for name in ("grid_worker", "department"):
        kind, message, _ = _next(streams[name], _about(code))
        assert (kind, message["department"]) == ("created", "D02")
    for quiet in (streams["grid_worker_peer"], streams["department_peer"], township):
        with pytest.raises(queue.Empty):
            _next(quiet, _about(code), timeout=0.5)
    # an import is news for everyone; its banner-wide row count only for the whole banner
    everything = listen()
    with engine.begin() as conn:
        conn.execute(text("""SELECT pg_notify('incidents', '{"kind": "import", "count": 7}')"""))
    assert _next(everything, _of_kind("import"))[1] == {"kind": "import", "count": 7}
    assert _next(streams["grid_worker"], _of_kind("import"))[1] == {"kind": "import"}


def test_a_published_ranking_is_news_for_every_stream(live_server, auth, listen):
    """The ranking event names no case: every caller hears it, a grid worker included (who
    may not read rankings: the page asks the API, which refuses)."""
    everything, grid_worker = listen(), listen(username="grid_worker")
    response = httpx.post(
        f"{live_server}/api/v1/rankings/2023-Q3/publish",
        json={"kind": "village", "township": "150621001"},
        headers=auth("command"),
    )
    assert response.status_code == 201, response.text
    expected = {
        "kind": "ranking", "quarter": "2023-Q3", "ranking": "village", "township": "150621001",
    }  # fmt: skip
    assert _next(everything, _of_kind("ranking"))[:2] == ("ranking", expected)
    assert _next(grid_worker, _of_kind("ranking"))[:2] == ("ranking", expected)
    again = httpx.post(
        f"{live_server}/api/v1/rankings/2023-Q3/publish",
        json={"kind": "village", "township": "150621001"},
        headers=auth("command"),
    )
    assert again.status_code == 409  # refused: rolled back, nothing sent
    with pytest.raises(queue.Empty):
        _next(everything, _of_kind("ranking"), timeout=0.5)


def test_the_stream_needs_a_credential(anon):
    response = anon.get("/api/v1/stream")
    assert response.status_code == 401
