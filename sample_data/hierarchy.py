"""Grouping micro-grids into grids, villages and townships.

Each level is a labelling of the micro-grids, made by balanced k-means on their centroids
inside each unit of the level above and then made edge-connected with
:func:`sample_data.coverage.make_contiguous`. Geometry is only built afterwards, as coverage
unions, so a labelling is all a level is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from sample_data.coverage import make_contiguous
from sample_data.spec import MICRO_GRIDS_PER_GRID, TOWNSHIPS

__all__ = ["VillageLabels", "balanced_kmeans", "group_grids", "group_villages", "order_units"]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def balanced_kmeans(
    xy: Floats,
    weight: Floats,
    k: int,
    rng: np.random.Generator,
    rounds: int = 15,
    slack: float = 1.08,
) -> Ints:
    """Split points into ``k`` compact clusters of roughly equal total ``weight``.

    Capacitated k-means: k-means++ seeding, then rounds of a greedy assignment that takes
    (point, centre) pairs nearest first and fills each cluster up to ``slack`` times the
    mean weight, followed by moving each centre to its cluster's weighted mean.

    Parameters
    ----------
    xy
        ``(n, 2)`` positions in km.
    weight
        What to balance (micro-grid count, population).
    k
        Number of clusters, at most ``n``.
    rng
        Random state for the k-means++ seeding.
    rounds, slack
        Iterations, and the capacity of a cluster as a multiple of the mean weight.

    Returns
    -------
    numpy.ndarray
        Cluster of each point, ``0 .. k-1``, none empty.

    Examples
    --------
    >>> xy = np.array([[0.0, 0], [0, 1], [1, 0], [10, 0], [10, 1], [11, 0]])
    >>> labels = balanced_kmeans(xy, np.ones(6), 2, np.random.default_rng(0))
    >>> sorted(np.bincount(labels).tolist())
    [3, 3]
    """
    n = len(xy)
    if k <= 1:
        return np.zeros(n, dtype=np.int64)
    if k > n:
        raise ValueError(f"cannot make {k} clusters from {n} points")
    centres = _kmeanspp(xy, k, rng)
    capacity = slack * weight.sum() / k
    labels = np.full(n, -1, dtype=np.int64)
    for _ in range(rounds):
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        new = _greedy_fill(d2, weight, capacity)
        if np.array_equal(new, labels):
            break
        labels = new
        size = np.bincount(labels, weights=weight, minlength=k)
        for axis in (0, 1):
            total = np.bincount(labels, weights=weight * xy[:, axis], minlength=k)
            centres[size > 0, axis] = total[size > 0] / size[size > 0]
    return _fill_empty(xy, labels, k)


def _greedy_fill(d2: Floats, weight: Floats, capacity: float) -> Ints:
    """Assign points to centres nearest pair first while the centre has room."""
    n, k = d2.shape
    points, centres = np.divmod(np.argsort(d2, axis=None, kind="stable"), k)
    room = np.full(k, capacity)
    labels = np.full(n, -1, dtype=np.int64)
    left = n
    for p, c in zip(points.tolist(), centres.tolist(), strict=True):
        if labels[p] >= 0 or room[c] < weight[p]:
            continue
        labels[p] = c
        room[c] -= weight[p]
        left -= 1
        if left == 0:
            break
    stray = labels < 0
    labels[stray] = np.argmin(d2[stray], axis=1)
    return labels


def _kmeanspp(xy: Floats, k: int, rng: np.random.Generator) -> Floats:
    centres = [xy[rng.integers(len(xy))]]
    d2 = ((xy - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        pick = rng.choice(len(xy), p=d2 / d2.sum()) if d2.sum() > 0 else rng.integers(len(xy))
        centres.append(xy[pick])
        d2 = np.minimum(d2, ((xy - xy[pick]) ** 2).sum(axis=1))
    return np.array(centres, dtype=np.float64)


def _fill_empty(xy: Floats, labels: Ints, k: int) -> Ints:
    """Give every empty cluster the point of the largest cluster farthest from its mean."""
    labels = labels.copy()
    for empty in np.flatnonzero(np.bincount(labels, minlength=k) == 0):
        big = int(np.argmax(np.bincount(labels, minlength=k)))
        members = np.flatnonzero(labels == big)
        far = members[np.argmax(((xy[members] - xy[members].mean(axis=0)) ** 2).sum(axis=1))]
        labels[far] = empty
    return labels


@dataclass
class VillageLabels:
    """Village of each micro-grid (global index) and whether each village is a community."""

    village: Ints
    township_of_village: Ints
    is_community: NDArray[np.bool_]


def group_villages(
    xy: Floats,
    population: Floats,
    township: Ints,
    seats_km: Floats,
    adj: sparse.csr_matrix,
    area: Floats,
    rng: np.random.Generator,
) -> VillageLabels:
    """Villages and communities in every township.

    The micro-grids nearest the township seat that hold ``urban_share`` of its people form
    the town; it is split into communities of about equal population. The rest is split
    into villages of about equal micro-grid count (so desert villages are large).

    Parameters
    ----------
    xy, population, township
        Centroid (km), residents and township index of each micro-grid.
    seats_km
        Township seats in km, in :data:`~sample_data.spec.TOWNSHIPS` order.
    adj, area
        Micro-grid adjacency and areas, to make villages contiguous.
    rng
        Random state.

    Returns
    -------
    VillageLabels
        Village of each micro-grid, township of each village, which villages are
        communities.
    """
    village = np.full(len(xy), -1, dtype=np.int64)
    owner: list[int] = []
    community: list[bool] = []
    for t, spec in enumerate(TOWNSHIPS):
        members = np.flatnonzero(township == t)
        dist = ((xy[members] - seats_km[t]) ** 2).sum(axis=1)
        near = members[np.argsort(dist, kind="stable")]
        cum = np.cumsum(population[near]) / population[members].sum()
        n_urban = max(int(np.searchsorted(cum, spec.urban_share)) + 1, 3 * spec.communities)
        urban, rural = near[:n_urban], near[n_urban:]
        lab_u = balanced_kmeans(xy[urban], population[urban] + 1.0, spec.communities, rng)
        lab_r = balanced_kmeans(xy[rural], np.ones(len(rural)), spec.villages, rng)
        base = len(owner)
        village[urban] = base + lab_u
        village[rural] = base + spec.communities + lab_r
        owner += [t] * (spec.communities + spec.villages)
        community += [True] * spec.communities + [False] * spec.villages
    village = make_contiguous(adj, village, township, area)
    return VillageLabels(village, np.array(owner, dtype=np.int64), np.array(community))


def group_grids(
    xy: Floats,
    village: Ints,
    n_villages: int,
    adj: sparse.csr_matrix,
    area: Floats,
    rng: np.random.Generator,
) -> tuple[Ints, Ints]:
    """Grids of about :data:`MICRO_GRIDS_PER_GRID` micro-grids inside every village.

    Returns the grid of each micro-grid and the village of each grid.
    """
    grid = np.full(len(xy), -1, dtype=np.int64)
    owner: list[int] = []
    for v in range(n_villages):
        members = np.flatnonzero(village == v)
        k = int(np.clip(round(len(members) / MICRO_GRIDS_PER_GRID), 1, 99))
        k = min(k, len(members) // 3) or 1
        grid[members] = len(owner) + balanced_kmeans(xy[members], np.ones(len(members)), k, rng)
        owner += [v] * k
    grid = make_contiguous(adj, grid, village, area)
    return grid, np.array(owner, dtype=np.int64)


def order_units(parent: Ints, first_key: Floats, lat: Floats) -> Ints:
    """Rank of each unit among its siblings: by ``first_key``, then north to south.

    Examples
    --------
    >>> order_units(np.array([0, 0, 1]), np.zeros(3), np.array([40.1, 40.3, 40.2])).tolist()
    [1, 0, 0]
    """
    order = np.lexsort((-lat, first_key, parent))
    rank = np.empty(len(parent), dtype=np.int64)
    starts = np.r_[True, parent[order][1:] != parent[order][:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    rank[order] = np.arange(len(order)) - group_start
    return rank
