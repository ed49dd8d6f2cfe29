"""Generate the Dalad Banner sample set (run ``python -m sample_data.generate``).

Writes the five area levels as GeoJSON under ``areas/``, ``departments.csv``, ``members.csv``,
the incident history ``incidents.csv`` (:mod:`sample_data.history`, its own seed) and
``README.md`` into ``sample_data/`` (or ``--out DIR``). Fully deterministic: one seed,
single-threaded numerics, byte-stable writers; two runs give identical files.
"""

from __future__ import annotations

import argparse
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

from sample_data.areas import build_areas
from sample_data.checks import check_partition
from sample_data.cobuild import write_cobuild
from sample_data.history import write_history
from sample_data.mediation import write_mediation
from sample_data.names import DEPARTMENTS
from sample_data.output import write_csv, write_level
from sample_data.party import write_party
from sample_data.people import MEMBER_FIELDS, build_members, department_codes
from sample_data.readme import write_readme
from sample_data.registry import write_registry
from sample_data.routines import write_routines
from sample_data.spec import LEVELS, SEED
from sample_data.whistles import write_whistles

__all__ = ["generate", "main"]

HERE = Path(__file__).resolve().parent


def generate(out_dir: Path = HERE) -> None:
    """Build, check and write the whole sample set.

    Parameters
    ----------
    out_dir
        Directory to write into (``areas/`` is created); defaults to ``sample_data/``.

    Raises
    ------
    sample_data.checks.PartitionError
        If any level fails to partition its parent; nothing is written then.
    """
    rng = np.random.default_rng(SEED)
    areas = build_areas(rng)
    levels = areas.levels
    for upper, lower in pairwise(LEVELS):
        check_partition(levels[upper], levels[lower])
    members = build_members(areas, rng)

    (out_dir / "areas").mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(LEVELS):
        parent_codes = levels[LEVELS[i - 1]].codes if i else None
        write_level(out_dir / "areas" / f"{name}.geojson", levels[name], parent_codes)
    departments = [
        {"code": code, "name": name}
        for code, name in zip(department_codes(), DEPARTMENTS, strict=True)
    ]
    write_csv(out_dir / "departments.csv", ("code", "name"), departments)
    write_csv(out_dir / "members.csv", MEMBER_FIELDS, members)
    write_party(out_dir, members)
    history = write_history(out_dir)
    write_mediation(out_dir, history)
    write_whistles(out_dir)
    write_registry(out_dir, areas)
    write_routines(out_dir)  # after the registry's households (reads them)
    write_cobuild(out_dir)  # 团结新村's co-building ledger (#18)
    write_readme(out_dir / "README.md", areas, members, history)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    generate(args.out)
    print(f"wrote sample data to {args.out} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
