"""Tile throughput with the read replica: the service answering its tiles from the primary
alone against the same service reading them from a hot standby of the same database
(``WANGGE_REPLICA_URL``, ``geo/replica.py``), in the same run, on the same machine.

``python -m bench.replica [--data-dir DIR] [--rounds N]``: starts the embedded cluster of
``DIR`` (default ``var/bench-replica``, made and filled with the sample on first use) and its
standby (``WANGGE_EMBEDDED_REPLICA``), then serves the service twice, one uvicorn worker each:
primary only, then with the replica. Each pass is the incident-count tiles of
:func:`bench.tiles.tile_sets` (built by PostGIS on every request, never kept) fetched with
:data:`bench.tiles.CONCURRENCY` requests in flight, after a warm-up pass; the two services
alternate ``N`` rounds and the median rate of each is reported, with every answer's
``X-Replica-Lag`` counted to show where the tiles came from.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from api.app import prepare_database
from bench.common import auth_headers, serve
from bench.tiles import CONCURRENCY, tile_sets
from geo.settings import Settings

REPO = Path(__file__).resolve().parents[1]


async def _rate(base: str, paths: Sequence[str], headers: dict[str, str]) -> tuple[float, Counter]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    lags: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:
        queue = list(reversed(paths))

        async def worker() -> None:
            while queue:
                response = await c.get(queue.pop())
                if response.status_code not in (200, 204):
                    raise RuntimeError(f"{base}: {response.status_code} {response.text[:200]}")
                lag = response.headers.get("X-Replica-Lag")
                lags["none" if lag is None else "primary" if lag == "primary" else "replica"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    return len(paths) / seconds, lags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replica", description=__doc__)
    parser.add_argument("--data-dir", default=str(REPO / "var" / "bench-replica"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    database = prepare_database(Settings(data_dir=Path(args.data_dir), embedded_replica=True))
    try:
        assert database.replica_url is not None
        ctx: Any = SimpleNamespace(
            engine=database.engine, sizes=SimpleNamespace(tiles_per_zoom=200)
        )
        tiles = [t for found in tile_sets(ctx).values() for t in found]
        paths = [f"/tiles/incidents/{z}/{x}/{y}.pbf" for z, x, y in tiles]
        headers = auth_headers(database.service_url)
        env = {
            "WANGGE_DATABASE_URL": database.service_url,
            "WANGGE_LOAD_SAMPLE_DATA": "false",
            "WANGGE_EMBEDDED_REPLICA": "false",
        }
        setups = {
            "primary only": env,
            "with the replica": {**env, "WANGGE_REPLICA_URL": database.replica_url},
        }
        rates: dict[str, list[float]] = {name: [] for name in setups}
        lags: dict[str, Counter[str]] = {name: Counter() for name in setups}
        for _ in range(args.rounds):
            for name, setup in setups.items():
                with serve(
                    "service-" + name.replace(" ", "-"),
                    "api.app:create_app",
                    env=setup,
                    factory=True,
                    ready_path="/api/v1/health",
                ) as server:
                    asyncio.run(_rate(server.base, paths, headers))  # warm-up
                    rate, seen = asyncio.run(_rate(server.base, paths, headers))
                rates[name].append(rate)
                lags[name] += seen
        base = statistics.median(rates["primary only"])
        print(f"{len(paths)} incident tiles a pass, {CONCURRENCY} in flight, {args.rounds} rounds")
        print("| setup | tiles/s (median) | rounds | ratio | answered by |")
        print("| --- | --- | --- | --- | --- |")
        for name, found in rates.items():
            median = statistics.median(found)
            where = ", ".join(f"{k} {v}" for k, v in sorted(lags[name].items()))
            rounds = " / ".join(f"{r:.0f}" for r in found)
            print(f"| {name} | {median:.0f} | {rounds} | {median / base:.2f} | {where} |")
    finally:
        database.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
