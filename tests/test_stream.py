"""GET /api/v1/stream: a committed incident reaches an open Server-Sent Events stream."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import uuid

import httpx
import pytest
import shapely


def _read_events(base, params, out: queue.Queue, ready: threading.Event, stop: threading.Event):
    with contextlib.suppress(httpx.HTTPError):  # the server goes away at the end of the session
        _pump(base, params, out, ready, stop)


def _pump(base, params, out, ready, stop):
    with (
        httpx.Client(base_url=base, timeout=None) as http,
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


@pytest.fixture
def listen(live_server):
    threads = []
    stop = threading.Event()

    def start(params=None):
        out: queue.Queue = queue.Queue()
        ready = threading.Event()
        thread = threading.Thread(
            target=_read_events, args=(live_server, params or {}, out, ready, stop), daemon=True
        )
        thread.start()
        threads.append(thread)
        assert ready.wait(10), "stream did not open"
        return out

    yield start
    stop.set()


def _post(base, micro_row, category="0101"):
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
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201
    return response.json()["code"], time.monotonic()


def test_a_new_incident_reaches_open_streams_filtered_by_area(live_server, listen, sample_areas):
    micro = sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)
    target, elsewhere = micro.iloc[4321], micro.iloc[12]
    everything = listen()
    mine = listen({"area": target["code"][:9]})
    code, sent = _post(live_server, target)
    kind, message, received = everything.get(timeout=2)
    assert (kind, message["code"]) == ("created", code)
    assert received - sent < 2.0
    assert "13811112222" not in json.dumps(message) and "王小明" not in json.dumps(message)
    assert mine.get(timeout=2)[1]["code"] == code
    other, _ = _post(live_server, elsewhere)
    assert everything.get(timeout=2)[1]["code"] == other
    if not elsewhere["code"].startswith(target["code"][:9]):
        with pytest.raises(queue.Empty):
            mine.get(timeout=0.5)
