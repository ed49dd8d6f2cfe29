"""P5 vector-tile throughput: the service's micro-grid tiles against tipg 1.6 on the same data.

tipg (from PyPI, in its own venv ``bench/.venv-tipg`` since it pins its own FastAPI) serves
the view ``bench.micro_grids`` (the live micro-grids with ``code, name, level, parent_code``,
as our layer carries) from the same database, with the same tile buffer (64). Both run as one
uvicorn worker; the client keeps :data:`CONCURRENCY` requests in flight over the same list of
tiles that meet the banner (a sample at z12–14, all of them at z10, repeated), and counts
tiles per second. Before the timed pass every tile is fetched once from each server; that
first pass is reported too, since the service keeps the area tiles it has
built (a generation's areas never change) and tipg keeps none.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence

import httpx
import shapely
from sqlalchemy import text

from bench.common import TIPG_PYTHON, Result, Server, auth_headers, serve
from bench.context import Context
from geo.tiles import tile_bounds, tiles_covering

CONCURRENCY = 8
TileXYZ = tuple[int, int, int]
VIEW = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE VIEW bench.micro_grids AS
SELECT a.id, a.code, a.name, a.level::text AS level, p.code AS parent_code, a.geom
FROM area a LEFT JOIN area p ON p.id = a.parent_id
WHERE a.level = 'micro_grid'
  AND a.generation_low <= (SELECT max(id) FROM generation)
  AND (a.generation_high IS NULL OR a.generation_high >= (SELECT max(id) FROM generation))
"""


def banner_tiles(ctx: Context, z: int) -> list[TileXYZ]:
    """The tiles of zoom ``z`` that meet the banner's outline."""
    with ctx.engine.connect() as conn:
        wkb = conn.execute(
            text("SELECT ST_AsBinary(geom) FROM area WHERE level = 'banner' AND code = '150621'")
        ).scalar_one()
    outline = shapely.from_wkb(bytes(wkb))
    shapely.prepare(outline)
    covering = tiles_covering(outline.bounds, z)
    return [t for t in covering if outline.intersects(shapely.box(*tile_bounds(*t)))]


def tile_sets(ctx: Context) -> dict[str, list[TileXYZ]]:
    rng = random.Random(150621)
    n = ctx.sizes.tiles_per_zoom
    high: list[TileXYZ] = []
    for z in (12, 13, 14):
        tiles = banner_tiles(ctx, z)
        high += rng.sample(tiles, min(n, len(tiles)))
    low = banner_tiles(ctx, 10)
    return {"z12–14": high, "z10": (low * (1 + n // max(len(low), 1)))[: max(n, len(low))]}


async def _rate(base: str, paths: Sequence[str], headers: dict[str, str]) -> tuple[float, float]:
    """Tiles per second and mean KiB over ``paths`` with CONCURRENCY requests in flight."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    sizes: list[int] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:
        queue = list(reversed(paths))

        async def worker() -> None:
            while queue:
                response = await c.get(queue.pop())
                if response.status_code not in (200, 204):
                    raise RuntimeError(f"{base}: {response.status_code} {response.text[:200]}")
                sizes.append(len(response.content))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    return len(paths) / seconds, sum(sizes) / max(len(sizes), 1) / 1024


def rate(base: str, paths: Sequence[str], headers: dict[str, str]) -> tuple[float, float]:
    return asyncio.run(_rate(base, paths, headers))


def ours(tiles: Sequence[TileXYZ]) -> list[str]:
    return [f"/tiles/micro_grid/{z}/{x}/{y}.pbf" for z, x, y in tiles]


def theirs(tiles: Sequence[TileXYZ]) -> list[str]:
    fields = "properties=code,name,level,parent_code"
    return [
        f"/collections/bench.micro_grids/tiles/WebMercatorQuad/{z}/{x}/{y}?{fields}"
        for z, x, y in tiles
    ]


def tipg_url(ctx: Context) -> str:
    """The database URL as asyncpg and tipg's settings accept it (socket directory as host)."""
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

    url = make_url(ctx.url)
    host = quote(str(url.query["host"]), safe="")
    return f"postgresql://{url.username}@{host}:{url.query.get('port', 5432)}/{url.database}"


def serve_tipg(ctx: Context) -> serve:  # type: ignore[valid-type]
    with ctx.raw() as conn:
        for statement in VIEW.split(";\n"):
            conn.execute(statement)  # type: ignore[call-overload]
    env = {
        "DATABASE_URL": tipg_url(ctx),
        "TIPG_DB_SCHEMAS": '["bench"]',
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_TILE_BUFFER": "64",
        "TIPG_MAX_FEATURES_PER_TILE": "100000",
    }
    return serve("tipg", "tipg.main:app", env=env, python=TIPG_PYTHON, ready_path="/collections")


def measure(ctx: Context, *, use_tipg: bool) -> list[Result]:
    headers = auth_headers(ctx.url)
    sets = tile_sets(ctx)
    goals = {"z12–14": 2.0, "z10": 1.0}
    mine: dict[str, tuple[float, float]] = {}
    #: the warm-up pass (each tile's first request), reported beside the timed one: the
    #: service keeps area tiles it has built (geo.tiles), tipg keeps none
    first: dict[str, float] = {}
    for label, tiles in sets.items():
        first[label] = rate(ctx.service.base, ours(tiles), headers)[0]
        mine[label] = rate(ctx.service.base, ours(tiles), headers)
    reason = "" if use_tipg and TIPG_PYTHON.exists() else (
        "tipg skipped: " + ("--no-tipg" if not use_tipg else f"no {TIPG_PYTHON}")
    )  # fmt: skip
    theirs_rate: dict[str, tuple[float, float]] = {}
    if not reason:
        with serve_tipg(ctx) as tipg:
            assert isinstance(tipg, Server)
            for label, tiles in sets.items():
                first[f"tipg {label}"] = rate(tipg.base, theirs(tiles), headers)[0]
                theirs_rate[label] = rate(tipg.base, theirs(tiles), headers)
    results = []
    for label, tiles in sets.items():
        per_s, kib = mine[label]
        raw = {"service": f"{per_s:,.0f} tiles/s ({kib:.1f} KiB)"}
        ratio = None
        if label in theirs_rate:
            t_per_s, t_kib = theirs_rate[label]
            raw["tipg 1.6"] = f"{t_per_s:,.0f} tiles/s ({t_kib:.1f} KiB)"
            ratio = per_s / t_per_s
        raw["service first pass"] = f"{first[label]:,.0f} tiles/s"
        if f"tipg {label}" in first:
            raw["tipg first pass"] = f"{first[f'tipg {label}']:,.0f} tiles/s"
        results.append(
            Result(
                f"P5 {label}",
                f"vector-tile throughput ÷ tipg 1.6, {label}",
                ctx.scale,
                raw,
                ratio,
                (">=", goals[label]),
                note=reason or f"{len(tiles)} tiles, {CONCURRENCY} in flight",
            )
        )
    return results
