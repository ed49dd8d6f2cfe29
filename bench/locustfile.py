"""The load run's users: lookups, map reads and intake, mixed as a command centre's day.

Run only as a subprocess (``bench/load.py``): importing locust monkey-patches gevent.
``BENCH_DATABASE_URL`` names the database (for :func:`bench.common.auth_headers`) and
``BENCH_POINTS`` a file of ``lon lat`` lines inside the micro-grids.
"""

from __future__ import annotations

import os
import random
import uuid
from pathlib import Path

from locust import FastHttpUser, between, task

from bench.common import auth_headers
from geo.tiles import tiles_covering

POINTS = [
    tuple(map(float, line.split()))
    for line in Path(os.environ["BENCH_POINTS"]).read_text().splitlines()
    if line.strip()
]
HEADERS = auth_headers(os.environ["BENCH_DATABASE_URL"])


class Operator(FastHttpUser):
    wait_time = between(0.5, 2.0)

    def _point(self) -> tuple[float, float]:
        return random.choice(POINTS)

    @task(6)
    def locate(self) -> None:
        lon, lat = self._point()
        self.client.get(
            f"/api/v1/locate?lon={lon}&lat={lat}&datum=cgcs2000", headers=HEADERS, name="locate"
        )

    @task(4)
    def tile(self) -> None:
        lon, lat = self._point()
        z = random.choice((12, 13, 14))
        _, x, y = next(iter(tiles_covering((lon, lat, lon, lat), z)))
        layer = random.choice(("micro_grid", "incidents"))
        with self.client.get(
            f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=HEADERS, name=f"tile {layer}",
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code in (200, 204):
                response.success()

    @task(2)
    def incidents_in_view(self) -> None:
        lon, lat = self._point()
        bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
        self.client.get(
            f"/api/v1/incidents?bbox={bbox}&datum=cgcs2000&limit=100",
            headers=HEADERS,
            name="incidents bbox",
        )

    @task(1)
    def intake(self) -> None:
        lon, lat = self._point()
        self.client.post(
            "/api/v1/incidents",
            json={"lon": lon, "lat": lat, "datum": "cgcs2000", "category": "0101",
                  "description": "负载测试", "reporter": {"name": "测试", "phone": "13800000000"}},
            headers={**HEADERS, "Idempotency-Key": f"load-{uuid.uuid4().hex}"},
            name="intake",
        )  # fmt: skip
