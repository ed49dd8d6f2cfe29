"""The district's five levels: micro-grids as an exact coverage of the outline, grouped into
grids, communities and villages, streets and the town (method in the package docstring)."""

from __future__ import annotations

import json
from itertools import pairwise

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
from sample_data.haibowan.spec import (
    CODE,
    CORE,
    FIRST_VILLAGE,
    KIND,
    MICRO_GRID_COUNT,
    MICRO_GRIDS_PER_GRID,
    NAME,
    OUTLINE_PATH,
    POPULATION,
    SAMPLE_DIR,
    TOWNSHIPS,
    URBAN_SHARE,
)
from sample_data.hierarchy import balanced_kmeans, order_units
from sample_data.names import place_names
from sample_data.spec import LEVELS
from sample_data.surface import area_km2, from_km, load_outline, to_km

__all__ = ["build_levels", "inside"]


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
    with (SAMPLE_DIR / "areas" / "village.geojson").open(encoding="utf-8") as f:
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


def inside(geom: shapely.Geometry, rng: np.random.Generator) -> tuple[float, float]:
    """A point strictly inside ``geom`` at 7 decimals."""
    xmin, ymin, xmax, ymax = geom.bounds
    while True:
        lon = round(float(rng.uniform(xmin, xmax)), 7)
        lat = round(float(rng.uniform(ymin, ymax)), 7)
        if shapely.contains_xy(geom, lon, lat):
            return lon, lat
