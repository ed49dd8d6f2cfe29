"""Repairs that bring a coverage's edges together within a tolerance (the ``snap`` repair).

:func:`snap_slivers` works on plain arrays, like :mod:`geo.topology.coverage`, whose checks it
uses to find what to move; :func:`geo.topology.suggest_repairs` turns its result into repairs a
planner accepts or not. Nothing moves farther than the tolerance: vertices go to vertices
within it, edges take in vertices passing within it, and only slivers narrower than it are
cut off, given away or filled.

Polygons marked ``fixed`` (in a draft plan: the areas nobody has reshaped) never move: like the
parent they are what the others are brought onto. Without that, a sliver of overlap stayed with
the lower index and a neighbour's edge took in the vertices of an edited area, so a repair
reshaped, and publication re-coded, areas the planner had not touched.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from geo.topology.coverage import (
    Geoms,
    Ints,
    area_m2,
    bordering,
    degrees,
    gaps,
    is_sliver,
    make_valid,
    outside,
    overlaps,
    polygonal,
    same_vertices,
    scale,
    unmatched_edges,
)

__all__ = ["snap_slivers"]

Event = tuple[int, str, float, int]


def snap_slivers(
    polygons: Geoms,
    parent: BaseGeometry | None,
    tolerance_m: float,
    fixed: NDArray[np.bool_] | None = None,
) -> tuple[Geoms, list[Event]]:
    """Bring a coverage's edges together where they are at most ``tolerance_m`` apart.

    ``fixed`` marks polygons that must not move (default: none); the parent and they are the
    anchors the others are snapped to, a sliver they share with another stays theirs, and a
    sliver of gap goes to a bordering polygon that may move (or stays a gap).

    Four steps, each on the result of the one before:

    0. Vertices of unmatched edges that lie within the tolerance of a parent's vertex become
       that vertex, and the rest within the tolerance of each other become one of them (the
       one most polygons use), in every polygon that has them, so that shared vertices stay
       shared: this is what coordinates transformed from another CRS need.
    1. Each polygon with :func:`unmatched_edges`, by index, is snapped to the parent's
       vertices, then to its neighbours' (as already snapped), with :func:`shapely.snap`,
       which moves a vertex onto a vertex within the tolerance and inserts a vertex into an
       edge passing within it. The parent goes first because shapely.snap takes the first
       candidate it finds, and the parent does not move.
    2. What is left of slivers (see :func:`is_sliver`): a sliver outside the parent is cut
       off, one shared by two polygons stays with the lower index, and a sliver of gap joins
       the bordering polygon with the longest shared edge.
    3. Step 1 again, for the vertices step 2 made where edges crossed.

    Returns
    -------
    polygons : numpy.ndarray
        The new polygons (the same objects where nothing changed).
    events : list of (index, what, area_m2, other)
        ``what`` is ``snap``, ``cut``, ``yield`` (to polygon ``other``) or ``fill``.
    """
    out = polygons.copy()
    events: list[Event] = []
    still = np.zeros(len(out), dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    _merge_vertices(out, parent, tolerance_m, events, still)
    _snap_loose(out, parent, tolerance_m, events, still)
    if parent is not None:
        for i, part in zip(*outside(out, parent), strict=True):
            if is_sliver(part, tolerance_m) and not still[i]:
                out[i] = polygonal(shapely.intersection(out[i], parent))
                events.append((int(i), "cut", float(area_m2(part)), -1))
    for a, b, shared in zip(*overlaps(out, shapely.STRtree(out)), strict=True):
        keep, give = (b, a) if still[b] else (a, b)
        if is_sliver(shared, tolerance_m) and not still[give]:
            out[give] = polygonal(shapely.difference(out[give], shared))
            events.append((int(give), "yield", float(area_m2(shared)), int(keep)))
    if parent is not None:
        tree = shapely.STRtree(out)
        for hole in gaps(out, parent):
            around = bordering(tree, out, hole)
            around = around[~still[around]] if len(around) else around
            if len(around) and is_sliver(hole, tolerance_m):
                edge = shapely.length(
                    shapely.intersection(hole.boundary, shapely.boundary(out[around]))
                )
                k = around[int(np.argmax(edge))]
                out[k] = polygonal(shapely.union(out[k], hole))
                events.append((int(k), "fill", float(area_m2(hole)), -1))
    _snap_loose(out, parent, tolerance_m, events, still)
    return out, events


def _merge_vertices(
    out: Geoms,
    parent: BaseGeometry | None,
    tolerance_m: float,
    events: list[Event],
    still: NDArray[np.bool_],
) -> None:
    """Step 0 of :func:`snap_slivers`, in place; the vertices of the parent and of the
    ``still`` polygons are anchors."""
    loose = [where for _, where, _ in unmatched_edges(out, parent)]
    if not loose:
        return
    points = np.unique(shapely.get_coordinates(loose), axis=0)
    anchors = shapely.get_coordinates(parent.boundary) if parent is not None else points[:0]
    if still.any():
        anchors = np.vstack([anchors, shapely.get_coordinates(out[still])])
    anchors = np.unique(anchors, axis=0)
    coords, owner = shapely.get_coordinates(out, return_index=True)
    used, uses = np.unique(coords, axis=0, return_counts=True)
    x, y = scale(float(np.mean(points[:, 1])))
    metric = np.array([x, y])
    target = _nearest_within(points, anchors, metric, tolerance_m)
    free = np.isnan(target[:, 0])
    if free.any():
        # among themselves: the most used vertex of a neighbourhood wins, then the lowest
        row = _rows(used, points[free])
        count = np.where(row >= 0, uses[row], 0)
        rank = np.lexsort((points[free][:, 1], points[free][:, 0], -count))
        order = points[free][rank]
        chosen = _first_within(order, metric, tolerance_m)
        target[np.flatnonzero(free)[rank]] = chosen
    moved = ~np.isnan(target[:, 0]) & np.any(target != points, axis=1)
    if not moved.any():
        return
    source, dest = points[moved], target[moved]
    hit = _rows(source, coords)
    changed = [i for i in np.unique(owner[hit >= 0]) if not still[i]]
    new = coords.copy()
    new[hit >= 0] = dest[hit[hit >= 0]]
    for i in changed:
        mine = new[owner == i]
        rebuilt = shapely.transform(out[i], lambda _, mine=mine: mine)
        rebuilt = make_valid(shapely.remove_repeated_points(rebuilt, 0.0))
        if not same_vertices(rebuilt, out[i]):
            out[i] = rebuilt
            events.append((int(i), "snap", 0.0, -1))


def _rows(table: NDArray[np.float64], rows: NDArray[np.float64]) -> Ints:
    """For each row of ``rows``, its index in ``table`` (unique rows), or -1."""
    keys = table[:, 0] + 1j * table[:, 1]
    order = np.argsort(keys)
    wanted = rows[:, 0] + 1j * rows[:, 1]
    at = np.clip(np.searchsorted(keys[order], wanted), 0, len(keys) - 1)
    found = keys[order][at] == wanted
    return np.where(found, order[at], -1)


def _nearest_within(
    points: NDArray[np.float64],
    anchors: NDArray[np.float64],
    metric: NDArray[np.float64],
    tol: float,
) -> NDArray[np.float64]:
    """The nearest anchor within ``tol`` metres of each point, else NaN."""
    target = np.full_like(points, np.nan)
    if len(anchors):
        distance, k = cKDTree(anchors * metric).query(points * metric, distance_upper_bound=tol)
        near = np.isfinite(distance)
        target[near] = anchors[k[near]]
    return target


def _first_within(
    order: NDArray[np.float64], metric: NDArray[np.float64], tol: float
) -> NDArray[np.float64]:
    """For points in rank order, the best-ranked point within ``tol`` of each (itself, if none)."""
    tree = cKDTree(order * metric)
    chosen = order.copy()
    taken = np.full(len(order), -1)
    for k in range(len(order)):
        if taken[k] >= 0:
            continue
        for j in tree.query_ball_point(order[k] * metric, tol):
            if taken[j] < 0:
                taken[j] = k
                chosen[j] = order[k]
    return chosen


def _snap_loose(
    out: Geoms,
    parent: BaseGeometry | None,
    tolerance_m: float,
    events: list[Event],
    still: NDArray[np.bool_],
) -> None:
    """Snap, in place and by index, each polygon with unmatched edges (step 1 above) that may
    move: onto the parent and the ``still`` neighbours first, since they do not move."""
    tol = degrees(tolerance_m)
    who = {i for who, _, _ in unmatched_edges(out, parent) for i in who if i >= 0}
    loose = sorted(i for i in who if not still[i])
    tree = shapely.STRtree(out)
    for i in loose:
        snapped = out[i]
        near = [k for k in tree.query(out[i], "dwithin", distance=tol) if k != i]
        anchors = [out[k].boundary for k in near if still[k]]
        if parent is not None:
            anchors.insert(0, parent.boundary)
        for anchor in anchors:
            snapped = shapely.snap(snapped, anchor, tol)
        moving = [out[k].boundary for k in near if not still[k]]
        if moving:
            snapped = shapely.snap(snapped, shapely.union_all(moving), tol)
        snapped = polygonal(snapped)
        if not same_vertices(snapped, out[i]):
            out[i] = snapped
            events.append((int(i), "snap", 0.0, -1))
