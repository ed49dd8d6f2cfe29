"""Set-wise placement: shapely STRtree against a PostGIS set join, on the same random points.

    .venv/bin/python bench/assign_compare.py              # 1,000,000 points, embedded PostGIS
    .venv/bin/python bench/assign_compare.py --points 200000

Uses the same start-up as ``wangge run`` (``WANGGE_DATABASE_URL`` or the embedded PostGIS under
``WANGGE_DATA_DIR``). Points are drawn uniformly inside the banner's outline, so every one is
covered by a micro-grid; a second, smaller set lies in a band just outside the banner, where
both implementations share the same nearest/queue statement. Prints points per second for
each and the ratio measured in this run, and checks that both placed every point alike.
Nothing is written: each run happens in a transaction that is rolled back.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import shapely
from sqlalchemy import Connection, text

from api.app import prepare_database
from geo.areas import current_generation
from geo.assign_bulk import Placements, place_postgis, place_strtree
from geo.settings import Settings

Placer = Callable[[Connection, np.ndarray, np.ndarray, int, float], Placements]
METHODS: dict[str, Placer] = {"strtree": place_strtree, "postgis": place_postgis}
LIMIT_M = 500.0
#: About 2 km in degrees: the band outside the banner for the uncovered points.
BAND = 0.02


def random_points(
    outline: shapely.Geometry, n: int, rng: np.random.Generator, *, inside: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform points inside ``outline``, or in a band of :data:`BAND` around it."""
    region = outline if inside else outline.buffer(BAND).difference(outline)
    shapely.prepare(region)
    west, south, east, north = region.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    while sum(len(x) for x in xs) < n:
        x = rng.uniform(west, east, n)
        y = rng.uniform(south, north, n)
        keep = shapely.contains_xy(region, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def timed(conn: Connection, placer: Placer, x: np.ndarray, y: np.ndarray, g: int) -> tuple:
    started = time.perf_counter()
    result = placer(conn, x, y, g, LIMIT_M)
    return result, time.perf_counter() - started


def compare(conn: Connection, label: str, x: np.ndarray, y: np.ndarray, g: int) -> None:
    results = {}
    print(f"\n{label}: {len(x):,} points")
    for name, placer in METHODS.items():
        placer(conn, x[:5000], y[:5000], g, LIMIT_M)  # warm caches and plans
        result, seconds = timed(conn, placer, x, y, g)
        results[name] = (result, seconds)
        print(f"  {name:8s} {seconds:7.2f} s  {len(x) / seconds:12,.0f} points/s")
    (a, ta), (b, tb) = results["strtree"], results["postgis"]
    print(f"  strtree is {tb / ta:.1f}x the speed of postgis")
    mismatches = a.mismatches(b)
    kinds = np.bincount(a.how, minlength=4)
    print(f"  assignments covered/tie/nearest/unassigned: {kinds.tolist()}")
    print(f"  points placed differently: {len(mismatches)}")
    if len(mismatches):
        raise SystemExit(f"the implementations disagree on {len(mismatches)} points")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--outside", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    database = prepare_database(Settings())
    try:
        with database.engine.connect() as conn:
            g = current_generation(conn)
            wkb = conn.execute(
                text("SELECT ST_AsBinary(geom) FROM area WHERE level = 'banner' AND code = :c"),
                {"c": "150621"},
            ).scalar_one()
            outline = shapely.from_wkb(bytes(wkb))
            rng = np.random.default_rng(args.seed)
            x, y = random_points(outline, args.points, rng, inside=True)
            compare(conn, "inside the banner", x, y, g)
            ox, oy = random_points(outline, args.outside, rng, inside=False)
            compare(conn, f"within {BAND} degrees outside the banner", ox, oy, g)
            conn.rollback()
    finally:
        database.close()


if __name__ == "__main__":
    main()
