"""Place many CGCS2000 points at once, with exactly the rules of :func:`geo.assign.place`.

A point covered by one live micro-grid is ``covered``; covered by several (on a shared edge)
it goes to the lowest code and is a ``boundary_tie``; outside every micro-grid but within
``limit_m`` metres (geodesic) of one it goes to the nearest (``nearest``); farther, it waits in
the covering township's queue, else the banner's (``unassigned``).

Two implementations give the same answer:

``strtree``
    The generation's micro-grids are read from PostGIS (WKB) into a shapely
    :class:`~shapely.STRtree`; ``STRtree.query(points, predicate="intersects")`` finds the
    covering ones (edges count, as with ``ST_Intersects``). The layout and its tree are kept
    per database and generation, and reused while the generation's live micro-grid rows are
    the ones they were built from (same count, highest id and row versions, checked with one
    small query per call): building them was a quarter of the time at province scale.
``postgis``
    The points are copied into a temporary table and joined to the micro-grids with
    ``ST_Intersects`` (polygon-driven, see ``sql/bulk_cover.sql``).

Points that no micro-grid covers are rare in real data; both implementations hand them to the
same set-wise statement (``sql/bulk_misses.sql``: a LATERAL KNN ranked geodesically, then the
queue), so "nearest" keeps a single definition, the one of ``sql/place.sql``.

``bench/assign_compare.py`` measures both on a million points; :data:`DEFAULT_METHOD` is the
faster one (``strtree``: about three times the points per second of ``postgis`` on 1M
points inside the banner, loading the micro-grids included).

Examples
--------
>>> p = Placements.empty(generation=1, n=2)
>>> len(p), p[0].assignment.value, p[0].micro_grid_id is None
(2, 'unassigned', True)
"""

from __future__ import annotations

import enum
import math
import threading
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import Connection, text

from geo.assign import Assignment
from geo.errors import NotFound
from geo.pgcopy import copy_out_int_pairs, copy_points
from geo.sql import query

__all__ = [
    "ASSIGNMENTS",
    "DEFAULT_METHOD",
    "Method",
    "Placements",
    "PointPlacement",
    "place_many",
    "place_postgis",
    "place_strtree",
]

Ids = NDArray[np.int64]

#: Assignment codes as stored in :attr:`Placements.how` (the index into this tuple).
ASSIGNMENTS = (
    Assignment.COVERED,
    Assignment.BOUNDARY_TIE,
    Assignment.NEAREST,
    Assignment.UNASSIGNED,
)
_COVERED, _TIE, _NEAREST, _UNASSIGNED = range(4)


class Method(enum.StrEnum):
    """How :func:`place_many` finds the covering micro-grids."""

    STRTREE = "strtree"
    POSTGIS = "postgis"


#: The faster implementation on ``bench/assign_compare.py``; the importer uses it.
DEFAULT_METHOD = Method.STRTREE


@dataclass(frozen=True)
class PointPlacement:
    """Where one point landed; ids are ``None`` where the level does not apply."""

    assignment: Assignment
    queue_area_id: int
    micro_grid_id: int | None
    grid_id: int | None
    village_id: int | None
    township_id: int | None
    distance_m: float | None

    @property
    def tied(self) -> bool:
        return self.assignment is Assignment.BOUNDARY_TIE


def _opt(value: Any) -> int | None:
    return int(value) or None


@dataclass(frozen=True, eq=False)
class Placements:
    """Where many points landed in one generation, as columns (one entry per point).

    ``how`` holds indexes into :data:`ASSIGNMENTS`; area ids are 0 where the level does not
    apply (a queue incident has no micro-grid); ``distance_m`` is NaN where there is none
    (covered points), else the geodesic distance to the nearest micro-grid in metres,
    rounded to 0.1 m as :func:`geo.assign.place` does. ``placements[i]`` gives one point as
    a :class:`PointPlacement`.
    """

    generation: int
    how: NDArray[np.int8]
    queue_area_id: Ids
    micro_grid_id: Ids
    grid_id: Ids
    village_id: Ids
    township_id: Ids
    distance_m: NDArray[np.float64]

    @classmethod
    def empty(cls, generation: int, n: int) -> Placements:
        """``n`` points not placed yet (unassigned, no areas, no distance)."""

        def zeros() -> Ids:
            return np.zeros(n, dtype=np.int64)

        return cls(
            generation=generation,
            how=np.full(n, _UNASSIGNED, dtype=np.int8),
            queue_area_id=zeros(),
            micro_grid_id=zeros(),
            grid_id=zeros(),
            village_id=zeros(),
            township_id=zeros(),
            distance_m=np.full(n, np.nan),
        )

    def __len__(self) -> int:
        return len(self.how)

    @property
    def tied(self) -> NDArray[np.bool_]:
        return self.how == _TIE

    def __getitem__(self, i: int) -> PointPlacement:
        distance = float(self.distance_m[i])
        return PointPlacement(
            assignment=ASSIGNMENTS[int(self.how[i])],
            queue_area_id=int(self.queue_area_id[i]),
            micro_grid_id=_opt(self.micro_grid_id[i]),
            grid_id=_opt(self.grid_id[i]),
            village_id=_opt(self.village_id[i]),
            township_id=_opt(self.township_id[i]),
            distance_m=None if math.isnan(distance) else distance,
        )

    def mismatches(self, other: Placements) -> NDArray[np.intp]:
        """Indexes of the points where ``other`` placed differently (NaN equals NaN)."""
        differ = np.zeros(len(self), dtype=bool)
        for f in fields(self):
            if f.name == "generation":
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "distance_m":
                differ |= ~((mine == theirs) | (np.isnan(mine) & np.isnan(theirs)))
            else:
                differ |= mine != theirs
        return np.flatnonzero(differ)


@dataclass(frozen=True)
class _Layout:
    """The live micro-grids of a generation in code order, with their ancestors."""

    ids: Ids
    grid: Ids
    village: Ids
    township: Ids
    geoms: NDArray[np.object_] | None
    tree: shapely.STRtree | None = None

    def index_of(self, area_ids: Ids) -> NDArray[np.intp]:
        order = np.argsort(self.ids)
        return order[np.searchsorted(self.ids, area_ids, sorter=order)]


def _layout(conn: Connection, generation: int, *, with_geom: bool) -> _Layout:
    rows = conn.execute(query("bulk_layout"), {"g": generation, "with_geom": with_geom}).all()

    def column(k: int) -> Ids:
        return np.array([r[k] for r in rows], dtype=np.int64)

    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows]) if with_geom else None
    return _Layout(
        ids=column(0), grid=column(1), village=column(2), township=column(3), geoms=geoms
    )


#: Layouts kept at once: each holds every micro-grid's geometry and their tree.
KEPT_LAYOUTS = 2
_trees: dict[tuple[str, int], tuple[tuple[Any, ...], _Layout]] = {}
_trees_lock = threading.Lock()


def _layout_with_tree(conn: Connection, generation: int) -> _Layout:
    """The generation's layout with its STRtree, built once and kept while its rows stay."""
    url = conn.engine.url.render_as_string(hide_password=True)
    stamp = tuple(conn.execute(query("bulk_layout_stamp"), {"g": generation}).one())
    with _trees_lock:
        known = _trees.get((url, generation))
    if known is not None and known[0] == stamp:
        return known[1]
    layout = _layout(conn, generation, with_geom=True)
    assert layout.geoms is not None
    layout = replace(layout, tree=shapely.STRtree(layout.geoms))
    with _trees_lock:
        _trees.pop((url, generation), None)
        _trees[(url, generation)] = (stamp, layout)
        while len(_trees) > KEPT_LAYOUTS:  # the oldest built first
            del _trees[next(iter(_trees))]
    return layout


def place_many(
    conn: Connection,
    lon: ArrayLike,
    lat: ArrayLike,
    generation: int,
    limit_m: float,
    *,
    method: Method | str = DEFAULT_METHOD,
) -> Placements:
    """Place CGCS2000 points in ``generation`` (the rules are in the module docstring).

    Runs inside the caller's transaction; the temporary tables it makes are dropped before
    it returns. Raises :class:`~geo.errors.NotFound` when a point needs the banner's queue
    and the generation has no banner, as :func:`geo.assign.place` does.
    """
    if Method(method) is Method.POSTGIS:
        return place_postgis(conn, lon, lat, generation, limit_m)
    return place_strtree(conn, lon, lat, generation, limit_m)


def place_strtree(
    conn: Connection, lon: ArrayLike, lat: ArrayLike, generation: int, limit_m: float
) -> Placements:
    """:func:`place_many` with a shapely STRtree over the generation's micro-grids."""
    x, y = _coords(lon, lat)
    layout = _layout_with_tree(conn, generation)
    assert layout.tree is not None
    point_idx, micro_idx = layout.tree.query(shapely.points(x, y), predicate="intersects")
    return _finish(conn, x, y, generation, limit_m, layout, point_idx, micro_idx)


def place_postgis(
    conn: Connection, lon: ArrayLike, lat: ArrayLike, generation: int, limit_m: float
) -> Placements:
    """:func:`place_many` as a set join in PostGIS (temporary table of points)."""
    x, y = _coords(lon, lat)
    layout = _layout(conn, generation, with_geom=False)
    _make_micro_table(conn, generation)
    copy_points(conn, "bulk_points", x, y)
    conn.exec_driver_sql("CREATE INDEX ON bulk_points USING gist (geom)")
    conn.exec_driver_sql("ANALYZE bulk_points")
    point_idx, area_ids = copy_out_int_pairs(conn, query("bulk_cover").text)
    micro_idx = layout.index_of(area_ids)
    return _finish(conn, x, y, generation, limit_m, layout, point_idx, micro_idx, micro_ready=True)


def _coords(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.asarray(lon, dtype=np.float64).reshape(-1)
    y = np.asarray(lat, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"lon has {x.size} values but lat has {y.size}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("coordinates must be finite (validate them with geo.points first)")
    return x, y


def _finish(
    conn: Connection,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    generation: int,
    limit_m: float,
    layout: _Layout,
    point_idx: NDArray[np.intp],
    micro_idx: NDArray[np.intp],
    *,
    micro_ready: bool = False,
) -> Placements:
    """Turn (point, covering micro-grid) pairs into placements; place the misses."""
    n = len(x)
    out = Placements.empty(generation, n)
    counts = np.bincount(point_idx, minlength=n)
    lowest = np.full(n, len(layout.ids), dtype=np.intp)
    np.minimum.at(lowest, point_idx, micro_idx)  # micro-grids are in code order
    hit = counts > 0
    out.how[hit] = np.where(counts[hit] > 1, _TIE, _COVERED)
    _fill_chain(out, hit, layout, lowest[hit])
    out.queue_area_id[hit] = out.micro_grid_id[hit]
    misses = np.flatnonzero(~hit)
    if misses.size:
        if not micro_ready:
            _make_micro_table(conn, generation)
        _place_misses(conn, out, misses, x[misses], y[misses], limit_m, layout)
    conn.exec_driver_sql("DROP TABLE IF EXISTS pg_temp.bulk_points, pg_temp.bulk_micro")
    return out


def _fill_chain(out: Placements, where: Any, layout: _Layout, micro: NDArray[np.intp]) -> None:
    out.micro_grid_id[where] = layout.ids[micro]
    out.grid_id[where] = layout.grid[micro]
    out.village_id[where] = layout.village[micro]
    out.township_id[where] = layout.township[micro]


def _place_misses(
    conn: Connection,
    out: Placements,
    misses: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    limit_m: float,
    layout: _Layout,
) -> None:
    """The nearest micro-grid within ``limit_m``, else the queue, for uncovered points.

    Needs temp table ``bulk_micro`` (:func:`_make_micro_table`).
    """
    copy_points(conn, "bulk_points", x, y)
    # without statistics the planner takes the temporary table for ~1,300 points, and the
    # resulting cost estimate switches on JIT compilation: ~0.2 s for a handful of misses
    conn.exec_driver_sql("ANALYZE bulk_points")
    rows = conn.execute(query("bulk_misses"), {"g": out.generation, "limit_m": limit_m}).all()
    if any(r.queue_id is None and not _within(r.distance_m, limit_m) for r in rows):
        raise NotFound(f"generation {out.generation} has no banner to queue the point in")
    at = misses[np.array([r.i for r in rows], dtype=np.intp)]
    out.distance_m[at] = [
        math.nan if r.distance_m is None else round(r.distance_m, 1) for r in rows
    ]
    near = np.array([_within(r.distance_m, limit_m) for r in rows], dtype=bool)
    nearest = np.array([r.nearest_id or 0 for r in rows], dtype=np.int64)[near]
    out.how[at[near]] = _NEAREST
    _fill_chain(out, at[near], layout, layout.index_of(nearest))
    out.queue_area_id[at[near]] = nearest
    queued = ~near
    out.how[at[queued]] = _UNASSIGNED
    out.queue_area_id[at[queued]] = [r.queue_id for r, q in zip(rows, queued, strict=True) if q]
    out.township_id[at[queued]] = [
        r.queue_id if r.township else 0 for r, q in zip(rows, queued, strict=True) if q
    ]


def _within(distance_m: float | None, limit_m: float) -> bool:
    return distance_m is not None and distance_m <= limit_m


def _make_micro_table(conn: Connection, generation: int) -> None:
    """Temp table ``bulk_micro``: the generation's micro-grids with their own GiST index."""
    for statement in query("bulk_micro_grids").text.split(";\n"):
        conn.execute(text(statement), {"g": generation})
