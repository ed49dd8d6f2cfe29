"""The people who enter the grids (三进): leaders, instructors, grid workers, party members.

Every home point is a synthetic resident drawn from the population surface, kept only if,
after rounding to 7 decimals, it lies strictly inside the member's area (for party members:
the micro-grid they sink into, 就近下沉, which is the one containing their home).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from sample_data.areas import Areas
from sample_data.names import (
    BANNER_TITLES,
    DEPARTMENTS,
    TOWNSHIP_TITLES,
    PersonNamer,
    unique_phones,
)
from sample_data.spec import INSTRUCTOR_COUNT, PARTY_MEMBER_COUNT

__all__ = ["MEMBER_FIELDS", "MONGOLIAN_SHARE", "Member", "build_members", "department_codes"]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

MEMBER_FIELDS = (
    "id", "kind", "name", "phone", "home_lon", "home_lat", "area_code", "department_code",
    "title",
)  # fmt: skip

#: Share of Mongolian names: higher in the sumu, a few percent elsewhere.
MONGOLIAN_SHARE = {True: 0.35, False: 0.06}


@dataclass(frozen=True)
class Member:
    """One row of ``members.csv`` (``id`` and ``phone`` are filled in last)."""

    kind: str
    name: str
    home: tuple[float, float]
    area_code: str
    department_code: str = ""
    title: str = ""


def department_codes() -> list[str]:
    """``D01`` … ``D39``, in the order of :data:`DEPARTMENTS`.

    Examples
    --------
    >>> codes = department_codes()
    >>> codes[0], codes[-1], len(codes)
    ('D01', 'D39', 39)
    """
    return [f"D{i + 1:02d}" for i in range(len(DEPARTMENTS))]


class _Homes:
    """Draws residents' points that fall strictly inside a given area."""

    def __init__(self, areas: Areas, rng: np.random.Generator) -> None:
        lv = areas.levels
        self._rng = rng
        self._points = areas.residents
        self._grid_geoms = lv["grid"].geoms
        grid_of = lv["micro_grid"].parent[areas.resident_micro]
        order = np.argsort(grid_of, kind="stable")
        self._by_grid = order
        self._starts = np.searchsorted(grid_of[order], np.arange(len(lv["grid"].codes) + 1))

    def in_grid(self, grid: int) -> tuple[float, float]:
        """A resident's home inside grid ``grid`` (index), rounded and strictly inside."""
        geom = self._grid_geoms[grid]
        pool = self._by_grid[self._starts[grid] : self._starts[grid + 1]]
        for i in self._rng.permutation(pool)[:50]:
            x, y = np.round(self._points[i], 7)
            if shapely.contains_properly(geom, shapely.Point(x, y)):
                return float(x), float(y)
        point = shapely.point_on_surface(geom)
        x, y = round(point.x, 7), round(point.y, 7)
        if not shapely.contains_properly(geom, shapely.Point(x, y)):
            raise ValueError(f"no home point strictly inside grid {grid}")
        return x, y


def _township_of_grid(areas: Areas) -> Ints:
    lv = areas.levels
    return lv["village"].parent[lv["grid"].parent]


def _party_members(
    areas: Areas, namer: PersonNamer, sumu: NDArray[np.bool_], rng: np.random.Generator
) -> list[Member]:
    """In-service party members at residents' homes, each in the micro-grid around home."""
    lv = areas.levels
    micro = lv["micro_grid"]
    pick = rng.choice(len(areas.residents), size=PARTY_MEMBER_COUNT + 200, replace=False)
    home = np.round(areas.residents[pick], 7)
    cell = areas.resident_micro[pick]
    inside = shapely.contains_properly(micro.geoms[cell], shapely.points(home))
    pick, home, cell = pick[inside], home[inside], cell[inside]
    if len(pick) < PARTY_MEMBER_COUNT:
        raise ValueError("too few party-member homes strictly inside their micro-grid")
    keep = np.argsort(cell[:PARTY_MEMBER_COUNT], kind="stable")
    township = lv["village"].parent[lv["grid"].parent[micro.parent]]
    out = []
    for k in keep:
        c = int(cell[k])
        name = namer.name(MONGOLIAN_SHARE[bool(sumu[township[c]])])
        out.append(
            Member("party_member", name, (float(home[k, 0]), float(home[k, 1])), micro.codes[c])
        )
    return out


def build_members(areas: Areas, rng: np.random.Generator) -> list[dict[str, str]]:
    """All members as CSV rows.

    Parameters
    ----------
    areas
        The built areas, with their resident points.
    rng
        Random state (picks of homes and grids, names, phones).

    Returns
    -------
    list of dict
        Rows keyed by :data:`MEMBER_FIELDS`, all values strings; ids run from 1 in the order
        leaders, instructors, grid workers, party members.
    """
    lv = areas.levels
    grids, townships = lv["grid"], lv["township"]
    namer = PersonNamer(rng)
    homes = _Homes(areas, rng)
    sumu = np.array([name.endswith("苏木") for name in townships.names])
    grid_township = _township_of_grid(areas)
    grids_in = [np.flatnonzero(grid_township == t) for t in range(len(townships.codes))]

    def at_grid(kind: str, g: int, department: str = "", title: str = "") -> Member:
        share = MONGOLIAN_SHARE[bool(sumu[grid_township[g]])]
        return Member(kind, namer.name(share), homes.in_grid(g), grids.codes[g], department, title)

    members: list[Member] = []
    # Leaders: banner leaders take a grid in each township in turn; township leaders at home.
    used: set[int] = set()

    def free_grid(t: int) -> int:
        options = [g for g in grids_in[t].tolist() if g not in used]
        g = int(rng.choice(options))
        used.add(g)
        return g

    for i, title in enumerate(BANNER_TITLES):
        members.append(at_grid("leader", free_grid(i % len(townships.codes)), title=title))
    for t, name in enumerate(townships.names):
        head = "苏木达" if sumu[t] else "镇长"
        for template in TOWNSHIP_TITLES:
            title = template.format(t=name, head=head)
            members.append(at_grid("leader", free_grid(t), title=title))
    # Department instructors: spread evenly over the grids in code order and over departments.
    codes = department_codes()
    n_grids = len(grids.codes)
    for i in range(INSTRUCTOR_COUNT):
        g = int((i + 0.5) * n_grids / INSTRUCTOR_COUNT)
        members.append(at_grid("instructor", g, codes[i % len(codes)], "指导员"))
    members += [at_grid("grid_worker", g, title="专职网格员") for g in range(n_grids)]
    members += _party_members(areas, namer, sumu, rng)

    phones = unique_phones(len(members), rng)
    return [
        {
            "id": str(i + 1),
            "kind": m.kind,
            "name": m.name,
            "phone": phone,
            "home_lon": f"{m.home[0]:.7f}",
            "home_lat": f"{m.home[1]:.7f}",
            "area_code": m.area_code,
            "department_code": m.department_code,
            "title": m.title,
        }
        for i, (m, phone) in enumerate(zip(members, phones, strict=True))
    ]
