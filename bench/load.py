"""The load run: locust, headless, on loopback, bounded in time, as a subprocess.

Users mix lookups, tiles, incident listings and intake (``bench/locustfile.py``). Reported:
requests, p50/p95/p99 over all of them, the error rate (goal < 0.1 %), and whether the service
logged connection-pool exhaustion (SQLAlchemy's ``QueuePool limit`` / ``TimeoutError``).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from bench.common import REPO, Result, artefacts
from bench.context import Context


def write_points(path: Path, xs: Iterable[float], ys: Iterable[float]) -> Path:
    """The lookup points the locust users draw from, one ``x y`` a line."""
    path.write_text("".join(f"{x} {y}\n" for x, y in zip(xs, ys, strict=True)))
    return path


def locust(
    host: str, database_url: str, points: Path, users: int, seconds: int, out: Path
) -> dict[str, str]:
    """Run the users of ``bench/locustfile.py`` against ``host``; locust's aggregated row
    (``Request Count``, ``Requests/s``, ``50%`` …) of ``out/locust_stats.csv``."""
    args = [
        str(Path(sys.executable).parent / "locust"), "-f", str(REPO / "bench" / "locustfile.py"),
        "--headless", "-u", str(users), "-r", str(max(users // 5, 1)), "-t", f"{seconds}s",
        "--host", host, "--csv", str(out / "locust"), "--only-summary",
        "--stop-timeout", "10", "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_POINTS": str(points),
           "PYTHONPATH": str(REPO)}  # fmt: skip
    with (out / "locust.log").open("wb") as err:
        subprocess.run(args, env=env, cwd=REPO, check=True, timeout=seconds + 120,
                       stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
    with (out / "locust_stats.csv").open() as f:
        return next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")


def measure(ctx: Context) -> list[Result]:
    out = artefacts("load")
    points = write_points(out / "points.txt", ctx.probe_x, ctx.probe_y)
    users, seconds = ctx.sizes.load_users, ctx.sizes.load_seconds
    log = artefacts("logs") / "service.log"
    before = log.stat().st_size if log.exists() else 0
    total = locust(ctx.service.base, ctx.url, points, users, seconds, out)
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    text = log.read_bytes()[before:].decode(errors="replace") if log.exists() else ""
    exhausted = "QueuePool limit" in text or "TimeoutError" in text
    rate = 100 * failures / max(requests, 1)
    return [
        Result(
            "LOAD",
            f"load run: {users} users for {seconds} s, error rate",
            ctx.scale,
            {
                "requests": f"{requests:,} ({float(total['Requests/s']):,.0f}/s)",
                "p50 / p95 / p99": f"{total['50%']} / {total['95%']} / {total['99%']} ms",
                "errors": f"{failures:,}",
                "pool exhausted": "yes" if exhausted else "no",
            },
            rate,
            ("<", 0.1),
            unit="%",
            note="locust FastHttpUser on loopback: locate 6, tiles 4, incidents in view 2, "
            "intake 1",
        )
    ]
