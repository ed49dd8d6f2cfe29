"""Run the measures at banner and province scale and write ``bench/RESULTS.md``.

Per scale: a fresh copy of the sample database, the synthetic incidents imported through the
service's importer (P3, which is also how they get there), their closed-loop clocks and the
first supervision sweep over them (before anything is timed: its notices would otherwise land
in whichever measure runs when the service first sweeps), the in-process measures (P2, the P11
sweep), the
service, the bare FastAPI app and tipg as uvicorn subprocesses for the HTTP measures, the load
run, the load run again through HAProxy at 1, 2 and 4 processes and with a streaming standby
(CLUSTER), and last the one that changes the layout (P9).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import text

from bench import (
    actions,
    bulk,
    cluster,
    coverage,
    data,
    heat,
    indicators,
    load,
    lookups,
    page,
    paint,
    publish,
    scale,
    stream,
    supervision,
    tiles,
    topology,
    view,
)
from bench.common import (
    ARTEFACTS,
    BENCH,
    VAR,
    Result,
    artefacts,
    auth_headers,
    serve_bare,
    serve_service,
)
from bench.context import SIZES, Context, Sizes
from bench.results import render
from geo import hotspots

MODES = tuple(SIZES)
#: The measures run at province scale (the others need no second scale to mean something,
#: or would not fit in the time: see "What was run").
PROVINCE = {"P1", "P2", "P3", "P5", "P6", "P7", "P10", "MEM"}
#: The measures run on the scale run's ten million cases (``bench.scale``): those whose work
#: grows with the cases (P12 is not among them: its synthetic trails for ten million cases
#: would double the database; P3 and P2 time the import of the million it starts from).
SCALE = {"P4", "P11", "P5", "P6", "P7", "LOAD", "CLUSTER"}
SCALES = ("banner", "province", "scale")
#: A smoke run builds its small scale database and runs only what is the scale run's own (the
#: first sweep kept in the marker, CLUSTER's check that the standby fits): the other measures'
#: code is the banner's, and at 63,000 micro-grids P6 and P7 would add a minute to ``make test``.
SMOKE_SCALE = {"P11", "CLUSTER"}
ALL = [
    "P1", "P2", "P3", "P4", "P11", "P5", "P6", "P7", "P8", "P9", "P10", "P12", "P13", "P14",
    "MEM", "LOAD", "CLUSTER", "TOPO",
]  # fmt: skip
log = logging.getLogger("bench")


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def probe_points(ctx_url: str, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points inside live micro-grids, the same ones every run (ordered by md5(code))."""
    from sqlalchemy import create_engine

    engine = create_engine(ctx_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p, "
                "code FROM area WHERE level = 'micro_grid' AND generation_high IS NULL "
                "ORDER BY md5(code) LIMIT :n) s"
            ),
            {"n": n},
        ).all()
    engine.dispose()
    return np.array([r.x for r in rows]), np.array([r.y for r in rows])


def database_name(scale: str, sizes: Sizes) -> str:
    """``bench_<scale>``; a smoke run's carries its pid, since several may run at once."""
    return f"bench_{scale}" + (f"_{os.getpid()}" if sizes.name == "smoke" else "")


def _guard(results: list[Result], mid: str, scale: str, fn: Callable[[], list[Result]]) -> None:
    """Run one measure; a failure becomes a row with its reason instead of ending the run."""
    _say(f"{scale}: {mid}")
    started = time.perf_counter()
    try:
        results += fn()
    except Exception as exc:
        traceback.print_exc()
        results.append(
            Result(
                mid,
                "did not complete",
                scale,
                {},
                None,
                ("", float("nan")),
                note=f"{type(exc).__name__}: {str(exc)[:200]}",
            )
        )
    _say(f"{scale}: {mid} took {time.perf_counter() - started:.1f} s")


def settle(ctx: Context) -> None:
    """Wait out the service's start-up work before timing it: its first Gi* request waits for
    numba to compile esda's kernels (a warm-up thread, ~15 s of one core), which would
    otherwise land in whichever measure runs first."""
    import httpx

    started = time.perf_counter()
    httpx.get(
        f"{ctx.service.base}/api/v1/heat/hotspots",
        headers=auth_headers(ctx.url),
        timeout=900,
    ).raise_for_status()
    _say(f"{ctx.scale}: service warm after {time.perf_counter() - started:.1f} s")


def run_scale(
    where: data.Cluster, root: Path, scale: str, sizes: Sizes, want: set[str], use_tipg: bool
) -> tuple[list[Result], list[str]]:
    if scale == "scale":
        return run_at_scale(where, root, sizes, want, use_tipg)
    results: list[Result] = []
    url = data.fresh_database(where, database_name(scale, sizes))
    micro = data.add_province(url) if scale == "province" else 6300
    n = sizes.province_incidents if scale == "province" else sizes.incidents
    centroids_x, centroids_y, outline = data.micro_grids(url)
    csv = artefacts("data") / f"incidents-{scale}-{n}.csv"
    frame = data.incident_table(
        n, (centroids_x, centroids_y), outline, data.minor_categories(url),
        copies=data.COPIES if scale == "province" else 1,
    )  # fmt: skip
    data.write_csv(frame, csv)
    _say(f"{scale}: importing {n:,} incidents into {micro:,} micro-grids")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    report, seconds = bulk.load(engine, csv)
    _say(f"{scale}: imported in {seconds:.1f} s")
    first_sweep = supervision.prepare(engine)
    engine.dispose()
    _say(f"{scale}: first supervision sweep in {first_sweep.seconds:.1f} s")
    x, y = probe_points(url)
    placeholder = None
    ctx = Context(scale, url, sizes, placeholder, placeholder, n, micro, x, y)  # type: ignore[arg-type]
    if "P3" in want:
        _guard(results, "P3", scale, lambda: bulk.import_result(ctx, report, seconds))
    if "P2" in want:
        m = min(sizes.assign_points, n)
        lon, lat = frame.lon.to_numpy()[:m], frame.lat.to_numpy()[:m]
        _guard(results, "P2", scale, lambda: bulk.assign(ctx, lon, lat))
    del frame
    _measure(results, ctx, where, root, want, use_tipg, first_sweep)
    if sizes.name == "smoke":  # smoke runs may overlap (make test): each has its own database
        data.drop_database(where, database_name(scale, sizes))
    what = [
        f"{scale}: {micro:,} micro-grids, {report.accepted:,} synthetic incidents "
        f"({data.HOTSPOT_SHARE:.0%} in {data.HOTSPOTS} hotspots, seed {data.SEED}) on top of "
        f"the sample's 5,740; measures {', '.join(m for m in ALL if m in want)}"
    ]
    return results, what


def run_at_scale(
    where: data.Cluster, root: Path, sizes: Sizes, want: set[str], use_tipg: bool
) -> tuple[list[Result], list[str]]:
    """The scale run: its database built once and kept (``bench.scale``), then measured."""
    results: list[Result] = []
    name = database_name("scale", sizes)
    built = scale.ensure(where, _say, name=name, base=sizes.scale_base, target=sizes.scale_target)
    x, y = probe_points(built.url)
    placeholder = None
    ctx = Context(
        "scale", built.url, sizes, placeholder, placeholder, built.incidents,  # type: ignore[arg-type]
        built.micro_grids, x, y,
    )  # fmt: skip
    _measure(results, ctx, where, root, want, use_tipg, built.first_sweep)
    if sizes.name == "smoke":
        data.drop_database(where, name)
    what = [
        f"scale: {built.micro_grids:,} micro-grids, {built.incidents:,} incidents: "
        f"{sizes.scale_base:,} synthetic ones imported as at province scale, the rest copies "
        f"of the closed and evaluated ones an hour apart (`bench/scale.py`), built once in "
        f"{built.built_in / 60:.0f} minutes and kept; measures "
        f"{', '.join(m for m in ALL if m in want)}"
    ]
    return results, what


def _measure(
    results: list[Result],
    ctx: Context,
    where: data.Cluster,
    root: Path,
    want: set[str],
    use_tipg: bool,
    first_sweep: supervision.FirstSweep,
) -> None:
    """Every wanted measure after the data is in: in process, then over HTTP, then those with
    their own processes, and last the one that changes the layout (P9)."""
    scale = ctx.scale
    if "P11" in want:
        _guard(results, "P11", scale, lambda: supervision.measure(ctx, first_sweep))
    http = want & {"P1", "P4", "P11", "P5", "P6", "P7", "P8", "P10", "P12", "P13", "MEM", "LOAD"}
    if http:
        with serve_service(ctx.url) as service, serve_bare() as bare:
            ctx.service, ctx.bare = service, bare
            settle(ctx)
            steps: dict[str, Callable[[], list[Result]]] = {
                "P1": lambda: lookups.locate(ctx),
                "P4": lambda: lookups.intake(ctx),
                "P11": lambda: actions.measure(ctx),
                "P6": lambda: heat.heat_areas(ctx),
                "P7": lambda: heat.gi_star(ctx),
                "P8": lambda: stream.measure(ctx),
                "P10": lambda: page.command_page(ctx),
                "P5": lambda: tiles.measure(ctx, use_tipg=use_tipg),
                "P12": lambda: indicators.measure(ctx),
                "P12 paint": lambda: paint.measure(ctx),  # a row of P12: runs with it
                "P13": lambda: view.measure(ctx),
                "LOAD": lambda: load.measure(ctx),
                "MEM": lambda: page.memory(ctx),
            }
            for mid, step in steps.items():
                if mid.split()[0] in want:
                    _guard(results, mid, scale, step)
    if "CLUSTER" in want:  # its own processes behind HAProxy, after the single service
        standby, figures = cluster.standby_fits(where, root)
        if not standby:
            _say(f"{scale}: CLUSTER without the standby: it would not fit ({figures})")
        _guard(
            results, "CLUSTER", scale, lambda: cluster.measure(ctx, where, root, standby=standby)
        )
    if "P14" in want and scale == "banner":  # before P9's redraw; it twins households
        _guard(results, "P14", scale, lambda: coverage.measure(ctx))
    if "P9" in want:
        _guard(results, "P9", scale, lambda: publish.measure(ctx))
    ctx.close()


def run(
    *,
    mode: str,
    only: set[str],
    use_tipg: bool,
    province: bool,
    out: str | None,
    data_dir: str | None,
    argv: list[str],
    chosen: tuple[str, ...] = SCALES,
) -> int:
    logging.basicConfig(level=logging.WARNING)
    sizes = SIZES[mode]
    want = only or set(ALL)
    unknown = want - set(ALL)
    if unknown:
        raise SystemExit(f"unknown measures {sorted(unknown)}; known: {', '.join(ALL)}")
    root = Path(data_dir) if data_dir else (VAR if mode != "smoke" else VAR.parent / "bench-smoke")
    root.mkdir(parents=True, exist_ok=True)
    ARTEFACTS["root"] = root if mode != "smoke" else root / f"run-{os.getpid()}"
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    # numba compiles esda's kernels (~15 s) for P7's direct call: meanwhile, not during P7
    threading.Thread(target=hotspots.warm_up, name="gi-warm-up", daemon=True).start()
    results: list[Result] = []
    what: list[str] = []
    with data.cluster(root) as where:
        scales = [
            s
            for s in chosen
            if s == "banner"
            or (s == "province" and province and sizes.province)
            or (s == "scale" and sizes.scale_target)
        ]
        wanted = {
            "banner": want,
            "province": want & PROVINCE,
            "scale": want & (SCALE if mode != "smoke" else SMOKE_SCALE),
        }
        for scale in scales:
            scale_want = wanted[scale]
            if scale_want - {"TOPO"}:
                got, said = run_scale(where, root, scale, sizes, scale_want, use_tipg)
                results += got
                what += said
    if "TOPO" in want:
        _guard(
            results, "TOPO", "banner", lambda: topology.measure(repeat=1 if mode != "full" else 3)
        )
    if not (province and sizes.province and "province" in scales):
        what.append("province: not run in this run (`make bench` runs it)")
    else:
        what.append(
            f"province: ×{data.COPIES} micro-grids (translated copies of the banner, new codes), "
            f"but {sizes.province_incidents:,} incidents rather than ×10: importing 10,000,000 "
            "on 2 cores takes about 10 × the banner's P3 import time, past the 30-minute budget"
        )
    if "scale" not in scales:
        what.append("scale: not run in this run (`make bench` runs it)")
    what.append(
        f"sizes: {sizes.requests} sequential requests (P1, P4), {sizes.heavy_requests} (P6, P7), "
        f"{sizes.tiles_per_zoom} tiles per zoom (P5), {sizes.sse_events} notifications (P8), "
        f"load {sizes.load_users} users × {sizes.load_seconds} s"
    )
    target = Path(out) if out else BENCH / "RESULTS.md"
    text_out = render(
        results,
        mode=mode,
        started=started_at,
        seconds=time.perf_counter() - started,
        what=what,
        database={
            "database": "embedded PostgreSQL 15 + PostGIS 3 (var/bench/pg), one uvicorn "
            "worker per server"
        },
        argv=argv,
        previous=target.read_text() if mode == "full" and target.exists() else "",
    )
    if mode == "smoke":
        shutil.rmtree(ARTEFACTS["root"], ignore_errors=True)
    target.write_text(text_out)
    _say(f"wrote {target} in {(time.perf_counter() - started) / 60:.1f} minutes")
    for r in results:
        print(f"  {r.id:10s} {r.scale:9s} {r.ratio if r.ratio is not None else '—'!s:>24}  "
              f"{ {True: 'pass', False: 'FAIL', None: ''}[r.passed]}")  # fmt: skip
    return 0
