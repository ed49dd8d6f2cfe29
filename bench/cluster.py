"""Several processes: the shared rate-limit store per hit, and the load run at 1, 2, 4 processes.

``python -m bench.cluster [--workers 1,2,4] [--users 100] [--seconds 30]`` on the database of
``WANGGE_DATA_DIR`` (the embedded one, with the sample set; ``make run`` once makes it):

- RL: one rate-limit hit in memory (``limits``' MemoryStorage, one process's counters) against
  one in PostgreSQL (``access/ratelimit.py``, shared by every process): the memory store stays
  the default for one process because of this ratio;
- CLUSTER: the load run's users (``bench/locustfile.py``: locate, tiles, listings, intake)
  through HAProxy to N service processes (``api/cluster.py``), requests a second and p50 / p95.

Everything runs on this machine, locust included: the processes, PostgreSQL, HAProxy and the
load generator share its cores, so past as many processes as cores the figure measures the
machine, not the service (bench/notes.md). Findings go to bench/notes.md by hand.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from limits import parse, storage, strategies
from sqlalchemy import text

from access.ratelimit import DatabaseStorage
from api.app import prepare_database
from api.cluster import Cluster
from bench.common import REPO
from geo import db
from geo.settings import Settings


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    return ports


def rate_limit_hits(service_url: str, hits: int = 2000) -> dict[str, float]:
    """Microseconds per hit, median of five rounds, memory and database."""
    engine = db.make_engine(service_url)
    item = parse("1000000/minute")
    figures = {}
    for name, store in (
        ("memory", storage.MemoryStorage()),
        ("database", DatabaseStorage(engine)),
    ):
        limiter = strategies.MovingWindowRateLimiter(store)
        rounds = []
        for _ in range(5):
            key = uuid.uuid4().hex
            started = time.perf_counter()
            for _ in range(hits):
                limiter.hit(item, key)
            rounds.append((time.perf_counter() - started) / hits * 1e6)
        figures[name] = statistics.median(rounds)
    rounds = []  # the baseline: one autocommit round trip on the same engine
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(hits):
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT 1")).one()
        rounds.append((time.perf_counter() - started) / hits * 1e6)
    figures["select 1"] = statistics.median(rounds)
    engine.dispose()
    return figures


def load_run(url: str, service_url: str, workers: int, users: int, seconds: int) -> dict[str, str]:
    with db.make_engine(url).connect() as conn:
        points = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE level = 'micro_grid' AND generation_high IS NULL "
                "ORDER BY code LIMIT 2000) s"
            )
        ).all()
    out = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    (out / "points.txt").write_text("".join(f"{x} {y}\n" for x, y in points))
    front, *ports = _free_ports(workers + 1)
    cluster = Cluster(front, ports, service_url, env={"WANGGE_INTAKE_RATE": "1000000/minute"})
    cluster.start()
    try:
        time.sleep(20)  # the processes' numba warm-up (esda's Gi*) is over
        args = [
            str(Path(sys.executable).parent / "locust"), "-f", str(REPO / "bench/locustfile.py"),
            "--headless", "-u", str(users), "-r", str(max(users // 5, 1)), "-t", f"{seconds}s",
            "--host", cluster.base, "--csv", str(out / "locust"), "--only-summary",
            "--stop-timeout", "10", "--exit-code-on-error", "0", "--loglevel", "WARNING",
        ]  # fmt: skip
        env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_POINTS": str(out / "points.txt"),
               "PYTHONPATH": str(REPO)}  # fmt: skip
        subprocess.run(args, env=env, cwd=REPO, check=True, timeout=seconds + 120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    finally:
        cluster.stop()
    with (out / "locust_stats.csv").open() as f:
        total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return {
        "requests": total["Request Count"],
        "per_s": f"{float(total['Requests/s']):.1f}",
        "p50": total["50%"],
        "p95": total["95%"],
        "errors": total["Failure Count"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    database = prepare_database(Settings())
    try:
        hits = rate_limit_hits(database.service_url)
        print(
            f"RL  one rate-limit hit: memory {hits['memory']:.1f} µs, "
            f"database {hits['database']:.1f} µs ({hits['database'] / hits['memory']:.0f}×); "
            f"baseline SELECT 1 round trip {hits['select 1']:.1f} µs "
            f"(database hit ÷ it {hits['database'] / hits['select 1']:.2f}×)"
        )
        if args.skip_load:
            return
        print(f"CLUSTER {args.users} users × {args.seconds} s, {os.cpu_count()} cores")
        print("| processes | requests | requests/s | p50 ms | p95 ms | errors |")
        print("| --- | --- | --- | --- | --- | --- |")
        for n in (int(w) for w in args.workers.split(",")):
            r = load_run(database.url, database.service_url, n, args.users, args.seconds)
            print(f"| {n} | {r['requests']} | {r['per_s']} | {r['p50']} | {r['p95']} | "
                  f"{r['errors']} |", flush=True)  # fmt: skip
    finally:
        database.close()


if __name__ == "__main__":
    main()
