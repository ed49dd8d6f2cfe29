"""Two years of synthetic incidents for the sample set: ``incidents.csv``.

Written by ``python -m sample_data.generate`` after the areas (run this module alone,
``python -m sample_data.history``, to rewrite only the CSV). Deterministic: its own seed,
so the areas and people do not change when this file does.

What is in it (the README's "Incident history" section gives the figures of this build):

* **When.** :data:`COUNT` reports between 2023-01-01 and 2024-12-31, China Standard Time,
  more in summer and fewer around the Spring Festival, slightly more in 2024, mostly in
  office hours.
* **What.** Major classes in the shares of :data:`MAJOR_SHARES` (disputes 01xx the largest,
  then livelihood 06xx, environment 04xx, city appearance 05xx, safety 02xx/03xx, ecology
  07xx); minor classes by :data:`MINOR_WEIGHTS` (1 where not listed).
* **Where.** A micro-grid drawn by its ``population`` (ecology 07xx by area: grassland and
  river, not households), then a uniform point inside it at least 2 m from its edge.
  :data:`HOTSPOT_SHARE` of the disputes are instead drawn in the five villages and
  communities of :data:`HOTSPOTS`, each with its own kind of dispute, so that heatmaps and
  Getis-Ord Gi* have something true to find.
* **Datum.** As phones send them: mostly GCJ-02, some WGS-84, a few BD-09 (:data:`DATUMS`);
  the coordinates are stored in that datum, 6 decimals.
* **Outcome.** Handling takes a log-normal time with a median of 60% of the category's time
  limit; most incidents are closed or evaluated, a few percent void, and a few percent of
  those reported in the last two months of 2024 are still open at the end of the year.
* **Trail.** Each incident's path through the transition table to that status, with times on
  the working-day calendar and the supervision cards on the way, is in ``trails.csv``
  (:mod:`sample_data.trails`).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from cases.loop.replay import Entry
from geo.datum import convert
from sample_data.names import PersonNamer, unique_phones
from sample_data.output import write_csv
from sample_data.trails import build_trails, last_action_at, trails_section, write_trails

__all__ = [
    "COUNT",
    "FIELDS",
    "HOTSPOTS",
    "History",
    "build_history",
    "history_section",
    "write_history",
]

HERE = Path(__file__).resolve().parent
CHINA = ZoneInfo("Asia/Shanghai")
SEED = 20230101
COUNT = 5_740
START = datetime(2023, 1, 1, tzinfo=CHINA)
END = datetime(2025, 1, 1, tzinfo=CHINA)

FIELDS = (
    "lon", "lat", "datum", "category", "description", "occurred_at", "reported_at", "status",
    "status_at", "reporter_name", "reporter_phone",
)  # fmt: skip

MAJOR_SHARES = {
    "01": 0.31,
    "06": 0.22,
    "04": 0.15,
    "05": 0.13,
    "02": 0.055,
    "03": 0.055,
    "07": 0.08,
}
MINOR_WEIGHTS = {
    "0101": 5, "0102": 3, "0103": 3, "0104": 2, "0105": 2, "0106": 1, "0107": 2, "0108": 2,
    "0109": 0.5, "0601": 2, "0604": 3, "0606": 3, "0607": 2, "0401": 4, "0402": 2, "0404": 1,
    "0501": 3, "0502": 2, "0505": 3, "0201": 3, "0203": 2, "0302": 3, "0303": 2, "0306": 2,
    "0701": 3, "0703": 0.5, "0705": 1,
}  # fmt: skip
#: Share of all disputes (01xx) drawn in the hotspots rather than by population.
HOTSPOT_SHARE = 0.40
#: The dispute hotspots: village or community code → (why, its dispute classes and weights).
HOTSPOTS: dict[str, tuple[str, dict[str, float]]] = {
    "150621001015": ("新建小区物业与邻里矛盾", {"0105": 3, "0101": 2}),
    "150621001033": ("城郊征地拆迁与土地权属", {"0106": 3, "0103": 2}),
    "150621002003": ("工业园区劳资欠薪", {"0104": 4, "0108": 1}),
    "150621004007": ("土地流转与婚姻家庭纠纷", {"0103": 2, "0102": 2}),
    "150621008004": ("草场边界纠纷", {"0107": 4, "0103": 1}),
}
DATUMS = {"gcj02": 0.75, "wgs84": 0.20, "bd09": 0.05}
#: Anonymous reports leave name and phone empty.
ANONYMOUS_SHARE = 0.12
VOID_SHARE = 0.03
EVALUATED_SHARE = 0.6
#: Reports after this may still be open at :data:`END`, with this probability.
BACKLOG_FROM = datetime(2024, 11, 1, tzinfo=CHINA)
BACKLOG_SHARE = 0.3
OPEN_STATUSES = {"dispatched": 0.3, "in_progress": 0.4, "handled": 0.2, "hung": 0.1}
EDGE_MARGIN = 2e-5  # degrees, ~2 m: rounding and datum round trips stay inside the micro-grid
_HOURS = np.array(
    [1, 0.5, 0.3, 0.3, 0.4, 0.8, 2, 4, 7, 9, 9, 8, 6, 6, 8, 8, 8, 7, 6, 6, 5, 4, 3, 2], float
)
_DESCRIPTIONS = {
    "01": (
        "{village}群众反映{name}，双方多次协商未果，请求调解。",
        "{village}发生{name}，当事人情绪激动，需尽快介入。",
    ),
    "02": ("{village}群众反映{name}，请核实处置。", "网格员巡查发现{village}存在{name}。"),
    "03": (
        "{village}{name}方面存在隐患，请相关部门检查。",
        "网格员巡查发现{village}{name}，已现场提醒。",
    ),
    "04": ("{village}{name}，影响周边居民。", "群众反映{village}{name}，请尽快清理。"),
    "05": ("{village}{name}，影响通行和市容。", "网格员巡查发现{village}{name}。"),
    "06": ("{village}居民咨询{name}相关问题。", "{village}群众反映{name}问题，请协调解决。"),
    "07": ("{village}发现{name}情况，请核查。", "护林员报告{village}{name}。"),
}


@dataclass(frozen=True)
class History:
    """The rows of ``incidents.csv`` and, for each, the code of its village or community."""

    rows: list[dict[str, str]]
    villages: list[str]
    #: Each row's trail (:mod:`sample_data.trails`), once :func:`write_history` made them.
    trails: list[list[Entry]] = field(default_factory=list)


@dataclass(frozen=True)
class _Places:
    """Micro-grids with their village, and the villages' names and townships."""

    geoms: np.ndarray
    population: np.ndarray
    area: np.ndarray
    village: np.ndarray  # index into village_codes
    village_codes: list[str]
    village_names: list[str]


def _read_places(areas_dir: Path) -> _Places:
    def features(level: str) -> list[dict]:
        text = (areas_dir / f"{level}.geojson").read_text(encoding="utf-8")
        return list(json.loads(text)["features"])

    villages = features("village")
    codes = [f["properties"]["code"] for f in villages]
    index = {code: i for i, code in enumerate(codes)}
    micro = features("micro_grid")
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in micro], dtype=object)
    lat = shapely.get_y(shapely.centroid(geoms))
    return _Places(
        geoms=geoms,
        population=np.array([f["properties"]["population"] for f in micro], float),
        area=shapely.area(geoms) * np.cos(np.radians(lat)),
        village=np.array([index[f["properties"]["code"][:12]] for f in micro]),
        village_codes=codes,
        village_names=[f["properties"]["name"] for f in villages],
    )


def _categories(path: Path) -> dict[str, tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {
            r["code"]: (r["name"], int(r["time_limit_hours"]))
            for r in csv.DictReader(f)
            if r["parent_code"]
        }


def _draw(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = sorted(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[rng.choice(len(keys), p=p / p.sum())]


def _day_weights() -> np.ndarray:
    days = (END - START).days
    day = np.arange(days)
    season = 1 + 0.25 * np.sin(2 * np.pi * (day - 100) / 365.25)  # peak in July
    festival = [datetime(2023, 1, 22, tzinfo=CHINA), datetime(2024, 2, 10, tzinfo=CHINA)]
    for eve in festival:
        offset = (eve - START).days
        season *= 1 - 0.45 * np.exp(-(((day - offset) / 6.0) ** 2))
    trend = np.where(day >= 365, 1.12, 1.0)
    weights = season * trend
    return weights / weights.sum()


def _point(rng: np.random.Generator, geom: shapely.Geometry) -> tuple[float, float]:
    west, south, east, north = geom.bounds
    edge = geom.boundary
    while True:
        x, y = rng.uniform(west, east), rng.uniform(south, north)
        p = shapely.Point(x, y)
        if geom.contains(p) and edge.distance(p) > EDGE_MARGIN:
            return x, y


def _stamp(at: datetime) -> str:
    return at.astimezone(CHINA).isoformat(timespec="seconds")


def build_history(areas_dir: Path, categories_csv: Path) -> History:
    """The incident rows, sorted by ``reported_at`` (see the module docstring)."""
    rng = np.random.default_rng(SEED)
    places = _read_places(areas_dir)
    categories = _categories(categories_csv)
    by_major: dict[str, dict[str, float]] = {}
    for code in categories:
        by_major.setdefault(code[:2], {})[code] = MINOR_WEIGHTS.get(code, 1.0)
    population_p = places.population / places.population.sum()
    area_p = places.area / places.area.sum()
    hotspot = {places.village_codes.index(code): mix for code, (_, mix) in HOTSPOTS.items()}
    days = _day_weights()
    namer = PersonNamer(rng)
    drafts = []
    for _ in range(COUNT):
        major = _draw(rng, MAJOR_SHARES)
        category = _draw(rng, by_major[major])
        if major == "01" and rng.random() < HOTSPOT_SHARE:
            village = sorted(hotspot)[rng.integers(len(hotspot))]
            category = _draw(rng, hotspot[village])
            inside = np.flatnonzero(places.village == village)
            p = places.population[inside] / places.population[inside].sum()
            micro = int(inside[rng.choice(len(inside), p=p)])
        else:
            micro = int(rng.choice(len(places.geoms), p=area_p if major == "07" else population_p))
        day = int(rng.choice(len(days), p=days))
        hour = int(rng.choice(24, p=_HOURS / _HOURS.sum()))
        reported = START + timedelta(days=day, hours=hour, seconds=int(rng.integers(3600)))
        drafts.append((reported, category, micro))
    drafts.sort(key=lambda d: d[0])
    phones = iter(unique_phones(COUNT, rng))
    rows = []
    villages = []
    for reported, category, micro in drafts:
        village = int(places.village[micro])
        x, y = _point(rng, places.geoms[micro])
        datum = _draw(rng, DATUMS)
        lon, lat = convert(x, y, "cgcs2000", datum)
        name, limit = categories[category]
        status, status_at = _outcome(rng, reported, limit)
        occurred = reported - timedelta(minutes=float(rng.exponential(360.0)))
        template = _DESCRIPTIONS[category[:2]][int(rng.integers(2))]
        anonymous = rng.random() < ANONYMOUS_SHARE
        mongolian = 0.35 if places.village_codes[village].startswith("150621008") else 0.06
        rows.append(
            {
                "lon": f"{lon:.6f}",
                "lat": f"{lat:.6f}",
                "datum": datum,
                "category": category,
                "description": template.format(village=places.village_names[village], name=name),
                "occurred_at": _stamp(occurred) if rng.random() < 0.7 else "",
                "reported_at": _stamp(reported),
                "status": status,
                "status_at": "" if status_at is None else _stamp(status_at),
                "reporter_name": "" if anonymous else namer.name(mongolian),
                "reporter_phone": "" if anonymous else next(phones),
            }
        )
        villages.append(places.village_codes[village])
    return History(rows, villages)


def _outcome(
    rng: np.random.Generator, reported: datetime, limit_hours: int
) -> tuple[str, datetime | None]:
    """Final status and its time: void, closed, evaluated, or still open at :data:`END`."""
    if rng.random() < VOID_SHARE:
        return "void", reported + timedelta(hours=float(rng.uniform(1, 12)))
    hours = float(np.exp(rng.normal(np.log(0.6 * limit_hours), 0.6)))
    closed = reported + timedelta(hours=hours)
    backlog = reported >= BACKLOG_FROM and rng.random() < BACKLOG_SHARE
    if closed >= END or backlog:
        if END - reported < timedelta(hours=12):
            return "reported", None
        status = _draw(rng, OPEN_STATUSES)
        return status, reported + (END - reported) * float(rng.uniform(0.1, 0.9))
    if rng.random() < EVALUATED_SHARE:
        evaluated = closed + timedelta(hours=float(rng.uniform(2, 72)))
        if evaluated < END:
            return "evaluated", evaluated
    return "closed", closed


def write_history(out_dir: Path, areas_dir: Path | None = None) -> History:
    """Write ``out_dir/incidents.csv`` and its trails (``trails.csv``, :mod:`sample_data.trails`)
    from the areas in ``areas_dir`` (``out_dir/areas``)."""
    history = build_history(areas_dir or out_dir / "areas", HERE / "categories.csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    trails = build_trails(history.rows)
    for row, trail in zip(history.rows, trails, strict=True):
        last = last_action_at(trail)
        row["status_at"] = "" if last is None else _stamp(last)
    write_csv(out_dir / "incidents.csv", FIELDS, history.rows)
    write_trails(out_dir / "trails.csv", trails)
    return History(history.rows, history.villages, trails)


def history_section(history: History, village_names: dict[str, str]) -> str:
    """The README section describing ``history``."""
    rows = history.rows
    n = len(rows)
    with (HERE / "categories.csv").open(encoding="utf-8", newline="") as f:
        major_names = {r["code"]: r["name"] for r in csv.DictReader(f) if not r["parent_code"]}
    majors = Counter(r["category"][:2] for r in rows)
    statuses = Counter(r["status"] for r in rows)
    datums = Counter(r["datum"] for r in rows)
    disputes = Counter(
        v for r, v in zip(rows, history.villages, strict=True) if r["category"] < "02"
    )
    typical = int(np.median([disputes[code] for code in village_names]))
    return "\n".join(
        [
            "## Incident history",
            "",
            f"`incidents.csv`: {n:,} synthetic incidents reported from {START:%Y-%m-%d} to "
            f"{END - timedelta(days=1):%Y-%m-%d}",
            "(China time), in the importer's format (`wangge incidents import`); the service "
            "loads it with",
            "the rest of the sample. Written by `sample_data/history.py`, whose docstring "
            "gives the method.",
            "",
            "| major class | incidents | share |",
            "| --- | --- | ---: |",
            *(
                f"| {m} {major_names[m]} | {c:,} | {c / n:.1%} |"
                for m, c in sorted(majors.items(), key=lambda mc: -mc[1])
            ),
            "",
            "| status | incidents |",
            "| --- | ---: |",
            *(f"| `{s}` | {c:,} |" for s, c in statuses.most_common()),
            "",
            "Datums as sent: "
            + ", ".join(f"`{d}` {c:,}" for d, c in datums.most_common())
            + "; coordinates in that datum, 6 decimals.",
            "",
            f"Dispute hotspots: {HOTSPOT_SHARE:.0%} of the disputes (01xx) are drawn in these "
            "five, each with its own",
            f"kind of dispute; the median village or community has {typical} disputes in the "
            "two years.",
            "",
            "| code | village / community | disputes | story | classes |",
            "| --- | --- | ---: | --- | --- |",
            *(
                f"| {code} | {village_names[code]} | {disputes[code]} | {why} "
                f"| {', '.join(sorted(mix))} |"
                for code, (why, mix) in HOTSPOTS.items()
            ),
            "",
            *([trails_section(rows, history.trails)] if history.trails else []),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args(argv)
    history = write_history(args.out, HERE / "areas")
    print(f"wrote {len(history.rows):,} incidents to {args.out / 'incidents.csv'}")
    print("run python -m sample_data.generate to bring README.md up to date as well")


if __name__ == "__main__":
    main()
