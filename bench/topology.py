"""The topology gate on a whole township of micro-grids: clean, and reprojected.

    .venv/bin/python -m bench.topology               # 树林召镇: 2,254 micro-grids
    .venv/bin/python -m bench.topology --township 150621002 --repeat 5

``python -m bench run`` includes the first line of it as the row TOPO (no goal: a guard).

Reads the committed sample files (no database). For the township's micro-grids under the
township it times, best of ``--repeat`` runs on one core:

* ``check_layout`` on the sample as committed (every check runs; nothing is found);
* ``check_layout`` and ``suggest_repairs`` on the same layout sent through CGCS2000 / 3-degree
  Gauss-Kruger CM 111E (EPSG:4546) and back, the way a planner's projected file arrives: the
  children still share their edges, but their outer vertices miss the stored township's by
  nanometres, which the gate reports and the snap repair removes.

The baseline, measured in the same run on the same array, is the bare GEOS coverage check
(``shapely.coverage_is_valid``) plus the union the gap check needs: what any gate must at
least spend. Prints seconds, problems and repairs, and each time as a ratio to the baseline.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from bench.common import Result
from geo.topology import Unit, apply_repairs, check_layout, suggest_repairs

AREAS = Path(__file__).resolve().parents[1] / "sample_data" / "areas"


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def through_gauss_kruger(units: list[Unit]) -> list[Unit]:
    there = Transformer.from_crs("EPSG:4490", "EPSG:4546", always_xy=True)
    back = Transformer.from_crs("EPSG:4546", "EPSG:4490", always_xy=True)
    geoms = np.array([u.geometry for u in units], dtype=object)
    geoms = shapely.transform(geoms, there.transform, interleaved=False)
    geoms = shapely.transform(geoms, back.transform, interleaved=False)
    return [Unit(u.code, u.name, g) for u, g in zip(units, geoms, strict=True)]


def measure(township: str = "150621001", repeat: int = 3) -> list[Result]:
    """The gate on one township, as committed, ÷ the bare GEOS checks (no goal: a guard)."""
    units, parent, geoms = _township(township)

    def baseline() -> None:
        shapely.coverage_is_valid(geoms)
        shapely.union_all(geoms)

    base, _ = best_of(repeat, baseline)
    seconds, problems = best_of(repeat, lambda: check_layout(units, parent))
    return [
        Result(
            "TOPO",
            "topology gate on a township ÷ coverage_is_valid + union_all",
            "banner",
            {"check_layout": f"{seconds:.3f} s", "GEOS baseline": f"{base:.3f} s"},
            seconds / base,
            ("", float("nan")),
            note=f"{len(units):,} micro-grids of {township}, best of {repeat}; "
            f"{len(problems)} problems",
        )
    ]


def _township(township: str) -> tuple[list[Unit], Any, np.ndarray]:
    townships = gpd.read_file(AREAS / "township.geojson")
    parent = townships[townships.code == township].geometry.iloc[0]
    micro = gpd.read_file(AREAS / "micro_grid.geojson")
    micro = micro[micro.code.str.startswith(township)]
    units = [Unit(c, n, g) for c, n, g in zip(micro.code, micro.name, micro.geometry, strict=True)]
    return units, parent, np.array([u.geometry for u in units], dtype=object)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--township", default="150621001")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    units, parent, geoms = _township(args.township)
    projected = through_gauss_kruger(units)

    def baseline() -> None:
        shapely.coverage_is_valid(geoms)
        shapely.union_all(geoms)

    base, _ = best_of(args.repeat, baseline)
    rows = [("baseline: coverage_is_valid + union_all", base, "")]
    seconds, problems = best_of(args.repeat, lambda: check_layout(units, parent))
    rows.append(("check_layout, as committed", seconds, f"{len(problems)} problems"))
    seconds, problems = best_of(args.repeat, lambda: check_layout(projected, parent))
    rows.append(("check_layout, via EPSG:4546", seconds, f"{len(problems)} problems"))
    seconds, repairs = best_of(args.repeat, lambda: suggest_repairs(projected, parent))
    left = check_layout(apply_repairs(projected, repairs), parent)
    rows.append(
        ("suggest_repairs, via EPSG:4546", seconds, f"{len(repairs)} repairs, {len(left)} left")
    )

    print(f"township {args.township}: {len(units):,} micro-grids, best of {args.repeat}")
    for label, secs, note in rows:
        print(f"  {label:<42} {secs:7.3f} s  {secs / base:5.1f}x  {note}")


if __name__ == "__main__":
    main()
