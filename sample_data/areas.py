"""The five area levels, from the outline down to micro-grids, with codes and names.

Order of work: township strips and population surface (:mod:`sample_data.surface`),
micro-grids as an exact coverage (:mod:`sample_data.coverage`), residents drawn from the
surface and counted per micro-grid, then villages and grids as groups of micro-grids
(:mod:`sample_data.hierarchy`). Geometry of every coarser level is the coverage union of its
children, and every array is finally put in code order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from sample_data.coverage import (
    adjacency,
    cvt_seeds,
    dissolve,
    faces_from_cells,
    make_contiguous,
    voronoi_cells,
)
from sample_data.hierarchy import group_grids, group_villages, order_units
from sample_data.names import place_names
from sample_data.spec import BANNER_CODE, BANNER_NAME, MICRO_GRID_COUNT, OUTLINE_PATH, TOWNSHIPS
from sample_data.surface import Surface, area_km2, build_surface, load_outline, sample_points, to_km

__all__ = ["Areas", "Level", "build_areas"]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Geoms = NDArray[np.object_]

#: Seed density is population density to this power: below 1, so town micro-grids hold more
#: people than rural ones and desert micro-grids stay a manageable size.
SEED_EXPONENT = 0.75


@dataclass
class Level:
    """One level of areas, in code order.

    ``parent`` indexes the level above (all zeros for townships, empty for the banner's own
    parent); ``kind`` is only set for villages.
    """

    name: str
    codes: list[str]
    names: list[str]
    parent: Ints
    geoms: Geoms
    population: Ints
    kind: list[str] | None = None


@dataclass
class Areas:
    """All levels plus the synthetic residents they were counted from."""

    levels: dict[str, Level]
    residents: Floats
    resident_micro: Ints
    surface: Surface


def _largest_remainder(weights: Floats, total: int) -> Ints:
    """Integers proportional to ``weights`` summing exactly to ``total``.

    Examples
    --------
    >>> _largest_remainder(np.array([1.0, 1.0, 1.0]), 10).tolist()
    [4, 3, 3]
    """
    quota = weights / weights.sum() * total
    out = np.floor(quota).astype(np.int64)
    out[np.argsort(-(quota - out), kind="stable")[: total - out.sum()]] += 1
    return out


def _micro_grids(surface: Surface, rng: np.random.Generator) -> tuple[Geoms, Ints]:
    """Micro-grid polygons (one per seed) and the strip each lies in."""
    weight = surface.density**SEED_EXPONENT
    per_strip = np.array([weight[surface.strip_of == i].sum() for i in range(len(TOWNSHIPS))])
    counts = _largest_remainder(per_strip, MICRO_GRID_COUNT)
    cells, strip = [], []
    for i, n in enumerate(counts):
        seeds = cvt_seeds(surface, weight, i, int(n), rng)
        cells.append(voronoi_cells(seeds, surface.strips[i]))
        strip.append(np.full(int(n), i, dtype=np.int64))
    all_cells, cell_strip = np.concatenate(cells), np.concatenate(strip)
    faces, owner = faces_from_cells(surface.outline, all_cells)
    owner = make_contiguous(adjacency(faces), owner, cell_strip[owner], shapely.area(faces))
    return dissolve(faces, owner, len(all_cells)), cell_strip


def _residents(surface: Surface, micro: Geoms, rng: np.random.Generator) -> tuple[Floats, Ints]:
    """One point per resident, drawn from the surface strip by strip, and its micro-grid."""
    points = np.vstack(
        [
            sample_points(surface, surface.density, i, t.population, rng)
            for i, t in enumerate(TOWNSHIPS)
        ]
    )
    geoms = shapely.points(points)
    tree = shapely.STRtree(micro)
    hit, target = tree.query(geoms, predicate="intersects")
    first = np.unique(hit, return_index=True)[1]
    owner = np.full(len(points), -1, dtype=np.int64)
    owner[hit[first]] = target[first]
    missing = np.flatnonzero(owner < 0)
    if len(missing):
        owner[missing] = tree.nearest(geoms[missing])
    return points, owner


@dataclass
class _Tree:
    """The grouping, in build order: parent index of every unit at each level."""

    micro_grid: Ints  # micro-grid -> grid
    grid: Ints  # grid -> village
    village: Ints  # village -> township
    is_community: NDArray[np.bool_]


def _group(
    micro: Geoms, strip: Ints, population: Floats, surface: Surface, rng: np.random.Generator
) -> _Tree:
    """Townships (strips made contiguous), then villages, then grids."""
    adj = adjacency(micro)
    size = area_km2(micro)
    township = make_contiguous(adj, strip, np.zeros(len(micro), dtype=np.int64), size)
    centre = shapely.centroid(micro)
    xy = to_km(shapely.get_x(centre), shapely.get_y(centre))
    seats = to_km(surface.seats[:, 0], surface.seats[:, 1])
    villages = group_villages(xy, population, township, seats, adj, size, rng)
    n_villages = len(villages.township_of_village)
    grid, grid_village = group_grids(xy, villages.village, n_villages, adj, size, rng)
    return _Tree(grid, grid_village, villages.township_of_village, villages.is_community)


def _codes(tree: _Tree, lat: Floats) -> dict[str, list[str]]:
    """Codes per level (build order): communities first, then north to south by centroid."""
    village_of = tree.grid[tree.micro_grid]
    v_lat = np.bincount(village_of, weights=lat) / np.bincount(village_of)
    g_lat = np.bincount(tree.micro_grid, weights=lat) / np.bincount(tree.micro_grid)
    v_rank = order_units(tree.village, (~tree.is_community).astype(np.float64), v_lat)
    g_rank = order_units(tree.grid, np.zeros(len(tree.grid)), g_lat)
    m_rank = order_units(tree.micro_grid, np.zeros(len(tree.micro_grid)), lat)
    if g_rank.max() >= 99 or m_rank.max() >= 99:
        raise ValueError("more than 99 children under one village or grid")
    t = [BANNER_CODE + spec.code for spec in TOWNSHIPS]
    v = [t[p] + f"{r + 1:03d}" for p, r in zip(tree.village, v_rank, strict=True)]
    g = [v[p] + f"{r + 1:02d}" for p, r in zip(tree.grid, g_rank, strict=True)]
    m = [g[p] + f"{r + 1:02d}" for p, r in zip(tree.micro_grid, m_rank, strict=True)]
    return {"township": t, "village": v, "grid": g, "micro_grid": m}


def _village_kinds(tree: _Tree) -> list[str]:
    return [
        "community" if comm else ("gacha" if TOWNSHIPS[t].is_sumu else "village")
        for comm, t in zip(tree.is_community, tree.village, strict=True)
    ]


def _names(
    tree: _Tree, codes: dict[str, list[str]], rng: np.random.Generator
) -> dict[str, list[str]]:
    """Names per level (build order); village names unique across the banner."""
    kinds = _village_kinds(tree)
    village = [""] * len(kinds)
    taken: set[str] = set()
    for kind in ("community", "village", "gacha"):
        for t in np.argsort(codes["township"], kind="stable"):
            members = [
                i
                for i in np.argsort(codes["village"], kind="stable")
                if tree.village[i] == t and kinds[i] == kind
            ]
            for i, name in zip(members, place_names(kind, len(members), rng, taken), strict=True):
                village[i] = name
    grid = [
        f"{village[p]}第{int(c[-2:])}网格" for p, c in zip(tree.grid, codes["grid"], strict=True)
    ]
    micro = [
        f"{grid[p]}第{int(c[-2:])}微网格"
        for p, c in zip(tree.micro_grid, codes["micro_grid"], strict=True)
    ]
    return {
        "township": [t.name for t in TOWNSHIPS],
        "village": village,
        "grid": grid,
        "micro_grid": micro,
    }


def _reorder(codes: list[str]) -> Ints:
    return np.array(sorted(range(len(codes)), key=codes.__getitem__), dtype=np.int64)


def build_areas(rng: np.random.Generator) -> Areas:
    """Build every level of the banner, each in code order.

    Parameters
    ----------
    rng
        The one random state of the run; the result depends only on its seed.

    Returns
    -------
    Areas
        The five levels (parents indexed in code order), the resident points and the
        micro-grid of each resident.

    Examples
    --------
    >>> areas = build_areas(np.random.default_rng(0))  # doctest: +SKIP
    >>> len(areas.levels["township"].codes)  # doctest: +SKIP
    8
    """
    surface = build_surface(load_outline(OUTLINE_PATH), rng)
    micro, strip = _micro_grids(surface, rng)
    residents, resident_micro = _residents(surface, micro, rng)
    m_pop = np.bincount(resident_micro, minlength=len(micro)).astype(np.int64)
    tree = _group(micro, strip, m_pop.astype(np.float64), surface, rng)
    codes = _codes(tree, shapely.get_y(shapely.centroid(micro)))
    names = _names(tree, codes, rng)

    # Geometry and population bottom-up: each level is the coverage union of the one below.
    parent = {
        "micro_grid": tree.micro_grid,
        "grid": tree.grid,
        "village": tree.village,
        "township": np.zeros(len(TOWNSHIPS), dtype=np.int64),
    }
    geoms, pops = {"micro_grid": micro}, {"micro_grid": m_pop}
    for child, upper in (("micro_grid", "grid"), ("grid", "village"), ("village", "township")):
        geoms[upper] = dissolve(geoms[child], parent[child], len(codes[upper]))
        pops[upper] = np.bincount(parent[child], weights=pops[child]).astype(np.int64)

    order = {name: _reorder(codes[name]) for name in codes}
    new_index = {name: np.argsort(o) for name, o in order.items()}
    above = {"township": None, "village": "township", "grid": "village", "micro_grid": "grid"}
    levels = {
        "banner": Level(
            "banner",
            [BANNER_CODE],
            [BANNER_NAME],
            np.array([-1]),
            np.array([shapely.coverage_union_all(geoms["township"])]),
            np.array([pops["township"].sum()]),
        ),
    }
    for name, o in order.items():
        up = above[name]
        mapped = parent[name] if up is None else new_index[up][parent[name]]
        levels[name] = Level(
            name,
            [codes[name][i] for i in o],
            [names[name][i] for i in o],
            mapped[o],
            geoms[name][o],
            pops[name][o],
            [_village_kinds(tree)[i] for i in o] if name == "village" else None,
        )
    return Areas(levels, residents, new_index["micro_grid"][resident_micro], surface)
