"""P13 markers after a zoom: what the command page waits for, per-level tiles against combined.

At a zoom change the page asks for the area outlines of every tile position in view, the
incident count tiles and the view's markers; a browser sends them over six HTTP/1.1
connections to one host, one of them held by the event stream. This replays that queue with
five connections for a 1920×1080 view at z12–z14 over the banner seat, in two orders:

- before: one request per area level and position (village from z9, grid from z11,
  micro-grid from z13), then the count tiles, the markers last (Leaflet called the tile
  layers' listeners first);
- after: the markers first, then one combined area tile per position (``/tiles/areas/``),
  then the count tiles.

Both orders run after a warm-up pass, so the service has every area tile in memory either
way and only the queue differs. The ratio is after ÷ before of the time until the markers'
answer arrives (median over the views).
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Sequence

import httpx

from bench.common import Result, auth_headers
from bench.context import Context
from cases.models import CLOSED_STATUSES, IncidentStatus
from geo.tiles import AREA_ZOOMS, Layer, tiles_covering

#: Connections a browser opens to one host over HTTP/1.1, less the one the event stream holds.
CONNECTIONS = 5
WIDTH, HEIGHT = 1920, 1080
SEAT = (110.04, 40.405)
ZOOMS = (12, 13, 14)
OPEN = ",".join(s.value for s in IncidentStatus if s not in CLOSED_STATUSES)


def view_bounds(lon: float, lat: float, z: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a WIDTH×HEIGHT pixel view centred on a point at zoom z.

    Examples
    --------
    >>> [round(v, 3) for v in view_bounds(110.04, 40.405, 13)]
    [109.875, 40.334, 110.205, 40.476]
    """
    size = 256 * 2**z
    x = (lon + 180) / 360 * size
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * size

    def lat_of(py: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / size))))

    west = (x - WIDTH / 2) / size * 360 - 180
    east = (x + WIDTH / 2) / size * 360 - 180
    return west, lat_of(y + HEIGHT / 2), east, lat_of(y - HEIGHT / 2)


def queues(z: int) -> tuple[list[str], list[str]]:
    """The requests of one zoom change in the order the page sends them: (before, after)."""
    bounds = view_bounds(*SEAT, z)
    positions = list(tiles_covering(bounds, z))
    markers = (
        "/api/v1/incidents?format=geojson&limit=500&datum=cgcs2000&status="
        + OPEN
        + "&bbox="
        + ",".join(f"{v:.6f}" for v in bounds)
    )
    counts = [f"/tiles/incidents/{z}/{x}/{y}.pbf" for z, x, y in positions]
    levels = [
        layer for layer in AREA_ZOOMS if layer is not Layer.TOWNSHIP and z >= AREA_ZOOMS[layer]
    ]
    per_level = [
        f"/tiles/{layer.value}/{z}/{x}/{y}.pbf" for layer in levels for z, x, y in positions
    ]
    combined = [f"/tiles/areas/{z}/{x}/{y}.pbf" for z, x, y in positions]
    return [*per_level, *counts, markers], [markers, *combined, *counts]


async def _markers_after(base: str, paths: Sequence[str], headers: dict[str, str]) -> float:
    """Seconds until the markers' answer (the one /api/v1/incidents path) has arrived."""
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    done: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:
        queue = list(reversed(paths))
        started = time.perf_counter()

        async def worker() -> None:
            while queue:
                path = queue.pop()
                response = await c.get(path)
                if response.status_code not in (200, 204):
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
                if path.startswith("/api/"):
                    done["markers"] = time.perf_counter() - started

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return done["markers"]


def measure(ctx: Context) -> list[Result]:
    headers = auth_headers(ctx.url)
    base = ctx.service.base
    before: list[float] = []
    after: list[float] = []
    requests: dict[str, list[int]] = {"before": [], "after": []}
    zooms = ZOOMS if ctx.sizes.name != "smoke" else ZOOMS[1:2]  # smoke: keep the script alive
    for z in zooms:
        old, new = queues(z)
        for paths in (old, new):  # warm: every area tile kept by the service
            asyncio.run(_markers_after(base, paths, headers))
        before.append(asyncio.run(_markers_after(base, old, headers)))
        after.append(asyncio.run(_markers_after(base, new, headers)))
        requests["before"].append(len(old))
        requests["after"].append(len(new))
    b, a = statistics.median(before), statistics.median(after)
    return [
        Result(
            "P13",
            "markers after a zoom, combined tile and markers first ÷ per-level tiles first",
            ctx.scale,
            {
                "before": f"{b * 1000:,.0f} ms ({'/'.join(map(str, requests['before']))} requests)",
                "after": f"{a * 1000:,.0f} ms ({'/'.join(map(str, requests['after']))} requests)",
            },
            a / b,
            ("<=", 0.5),
            note=f"1920×1080 at z{zooms[0]}–{zooms[-1]} on the seat, {CONNECTIONS} connections",
        )
    ]
