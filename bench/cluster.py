"""Several processes: the shared rate-limit store per hit, and the load run at 1, 2, 4 processes.

In ``make bench`` (:func:`measure`, the CLUSTER rows of ``bench/RESULTS.md``): the load run's
users (``bench/locustfile.py``: locate, tiles, listings, intake) through HAProxy to 1, 2 and 4
fresh service processes (``api/cluster.py``) on the banner's bench database, then to 2 with
``WANGGE_REPLICA_URL`` on a hot standby made for the measure (``pg_basebackup`` of the bench
cluster, removed afterwards); requests a second against one process's.

``python -m bench.cluster [--workers 1,2,4] [--users 100] [--seconds 30]`` on the database of
``WANGGE_DATA_DIR`` (the embedded one, with the sample set; ``make run`` once makes it):

- RL: one rate-limit hit in memory (``limits``' MemoryStorage, one process's counters) against
  one in PostgreSQL (``access/ratelimit.py``, shared by every process): the memory store stays
  the default for one process because of this ratio;
- CLUSTER: the same load run on the sample set, requests a second and p50 / p95.

Everything runs on this machine, locust included: the processes, PostgreSQL, HAProxy and the
load generator share its cores, so past as many processes as cores the figure measures the
machine, not the service (bench/notes.md)."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
from limits import parse, storage, strategies
from sqlalchemy import text
from sqlalchemy.engine import make_url

from access.ratelimit import DatabaseStorage
from api.app import prepare_database
from api.cluster import Cluster
from bench import data
from bench.common import Result, artefacts, auth_headers, libpq_url
from bench.context import Context
from bench.load import locust, write_points
from geo import db
from geo.pgbouncer import PgBouncer
from geo.replica import EmbeddedStandby, forget_standby
from geo.settings import Settings

#: Processes of the load run on the primary; then :data:`WITH_REPLICA` with the replica.
PROCESSES = (1, 2, 4)
WITH_REPLICA = 2
#: The bench standby's replication slot (not the service's: a ``make run`` replica may exist).
STANDBY_SLOT = "wangge_bench_replica"


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
    where = write_points(out / "points.txt", [p[0] for p in points], [p[1] for p in points])
    total = _through_haproxy(url, service_url, workers, where, users, seconds, out)
    return {
        "requests": total["Request Count"],
        "per_s": f"{float(total['Requests/s']):.1f}",
        "p50": total["50%"],
        "p95": total["95%"],
        "errors": total["Failure Count"],
    }


def _through_haproxy(
    database_url: str,
    service_url: str,
    workers: int,
    points: Path,
    users: int,
    seconds: int,
    out: Path,
    env: dict[str, str] | None = None,
    warm: bool = True,
) -> dict[str, str]:
    """The load run through HAProxy to ``workers`` fresh service processes on ``service_url``
    (``env`` adds settings), each warm before the users start unless ``warm`` is false;
    locust's aggregated row, plus ``X-Replica-Lag`` as a tile answered through HAProxy
    afterwards carried it."""
    out.mkdir(parents=True, exist_ok=True)
    front, *ports = _free_ports(workers + 1)
    settings = {"WANGGE_INTAKE_RATE": "1000000/minute", "WANGGE_LOAD_SAMPLE_DATA": "false"}
    bouncer = PgBouncer(service_url) if pooled(service_url, workers) else None
    pooler = bouncer.start() if bouncer else None
    cluster = Cluster(front, ports, service_url, pooler, env={**settings, **(env or {})})
    try:
        cluster.start()
        headers = auth_headers(database_url)
        for process in cluster.processes if warm else ():  # numba's Gi* kernels, ~15 s a core
            httpx.get(
                f"{process.base}/api/v1/heat/hotspots", headers=headers, timeout=900
            ).raise_for_status()
        total = locust(cluster.base, database_url, points, users, seconds, out)
        tile = httpx.get(
            f"{cluster.base}/tiles/incidents/10/822/387.pbf", headers=headers, timeout=60
        )
        lag = tile.headers.get("X-Replica-Lag", "none")
        total["X-Replica-Lag"] = lag if tile.is_success else f"HTTP {tile.status_code}"
        total["PgBouncer"] = "yes" if bouncer else "no"
    finally:
        cluster.stop()
        if bouncer:
            bouncer.stop()
    return total


def pooled(service_url: str, workers: int) -> bool:
    """Whether ``workers`` processes could open more connections than the server takes, so
    that they go through PgBouncer, as the README's deployment says (``wangge cluster``)."""
    engine = db.make_engine(service_url)
    try:
        return db.connections_of(workers) > db.max_connections(engine)
    finally:
        engine.dispose()


def standby_fits(where: data.Cluster, root: Path) -> tuple[bool, str]:
    """Whether a standby (a whole copy of the bench cluster) fits on ``root``'s disk with a
    quarter to spare for the load run's WAL; and the figures that decided it."""
    with psycopg.connect(libpq_url(where.url), autocommit=True) as conn:
        row = conn.execute("SELECT sum(pg_database_size(datname)) FROM pg_database").fetchone()
    size = int(row[0]) if row and row[0] else 0
    free = shutil.disk_usage(root).free
    return free > size * 1.25, f"the cluster {size / 2**30:.1f} GiB, free {free / 2**30:.1f} GiB"


@contextlib.contextmanager
def standby_of(where: data.Cluster, root: Path, database_url: str) -> Iterator[str]:
    """A hot standby of the bench cluster made for this measure (``pg_basebackup``), its URL
    for ``database_url``'s database; afterwards stopped, its slot dropped (else the primary
    keeps its WAL for ever) and its copy removed."""
    if where.embedded is None:
        raise RuntimeError("the replica rows need the embedded bench cluster (var/bench/pg)")
    standby = EmbeddedStandby(root / "standby", where.embedded, slot=STANDBY_SLOT)
    standby.shutdown()  # what a run killed before its clean-up left
    forget_standby(where.embedded, STANDBY_SLOT)
    shutil.rmtree(standby.root, ignore_errors=True)
    try:
        owner = make_url(standby.start())
        yield owner.set(database=make_url(database_url).database).render_as_string(
            hide_password=False
        )
    finally:
        standby.shutdown()
        forget_standby(where.embedded, STANDBY_SLOT, wait_s=10.0)
        shutil.rmtree(standby.root, ignore_errors=True)


def _row(label: str, total: dict[str, str], base: float, ctx: Context, note: str) -> Result:
    per_s = float(total["Requests/s"])
    return Result(
        "CLUSTER",
        label,
        ctx.scale,
        {
            "requests": f"{int(total['Request Count']):,} ({per_s:,.1f}/s)",
            "p50 / p95 / p99": f"{total['50%']} / {total['95%']} / {total['99%']} ms",
            "errors": f"{int(total['Failure Count']):,}",
            "X-Replica-Lag of a tile": total["X-Replica-Lag"],
            "through PgBouncer": total["PgBouncer"],
        },
        per_s / base,
        ("", float("nan")),
        note=note,
    )


def measure(ctx: Context, where: data.Cluster, root: Path, standby: bool = True) -> list[Result]:
    """The load run through HAProxy at 1, 2 and 4 processes on the primary, then (``standby``)
    at 2 with the read-only endpoints on a streaming standby; each row's ratio is its requests
    a second ÷ one process's."""
    out = artefacts("cluster")
    points = write_points(out / "points.txt", ctx.probe_x, ctx.probe_y)
    users, seconds = ctx.sizes.load_users, ctx.sizes.load_seconds
    smoke = ctx.sizes.name == "smoke"  # keeps the script from rotting: the replica run alone
    counts = {"full": PROCESSES, "quick": PROCESSES[:2]}.get(ctx.sizes.name, ())
    if not standby and not counts:  # smoke without the standby: one process, as a run
        counts = PROCESSES[:1]
    cores = os.cpu_count()
    shared = (
        f"{users} locust users for {seconds} s (as LOAD); locust, HAProxy, PostgreSQL and "
        f"the processes share this machine's {cores} cores"
    )
    totals = {
        n: _through_haproxy(
            ctx.url, ctx.url, n, points, users, seconds, out / f"primary-{n}", warm=not smoke
        )
        for n in counts
    }
    results = []
    if totals:
        base = float(totals[1]["Requests/s"])
        for count, total in totals.items():
            plural = "es" if count > 1 else ""
            label = f"load run through HAProxy, {count} process{plural}, requests a second"
            results.append(_row(f"{label} ÷ 1 process's", total, base, ctx, shared))
    if not standby:
        return results
    n = WITH_REPLICA if not smoke else 1
    with standby_of(where, root, ctx.url) as replica:
        replicated = _through_haproxy(
            ctx.url, ctx.url, n, points, users, seconds, out / f"replica-{n}",
            env={"WANGGE_REPLICA_URL": replica}, warm=not smoke,
        )  # fmt: skip
    if not totals:
        base = float(replicated["Requests/s"])
    label = (
        f"load run through HAProxy, {n} process{'es' if n > 1 else ''}, reads on the streaming "
        "replica, requests a second ÷ 1 process's"
    )
    note = f"{shared}; the standby is a pg_basebackup of the same cluster on the same cores"
    if n in totals:
        note += f"; {n} processes without it: {float(totals[n]['Requests/s']):,.1f}/s"
    results.append(_row(label, replicated, base, ctx, note))
    return results


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
