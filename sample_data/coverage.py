"""Building an exact polygonal coverage and the graph of which polygon touches which.

The finest level is made once: density-weighted Voronoi cells, clipped to the township
strips, are noded together with snap-rounding on the precision grid and polygonized into
*faces*. Every coarser polygon is a :func:`shapely.coverage_union_all` of faces, so shared
edges carry identical vertices at every level and unions are exact.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from sample_data.spec import GRID_SIZE
from sample_data.surface import KM_X, KM_Y, Surface, from_km, sample_points, to_km

__all__ = [
    "adjacency",
    "cvt_seeds",
    "dissolve",
    "faces_from_cells",
    "make_contiguous",
    "voronoi_cells",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Geoms = NDArray[np.object_]


def cvt_seeds(
    surface: Surface, weight: Floats, strip: int, n: int, rng: np.random.Generator, rounds: int = 12
) -> Floats:
    """``n`` well-spread seeds in a strip whose density follows ``weight``.

    A centroidal Voronoi tessellation by Lloyd's method on a weighted sample (k-means): the
    seeds start at random sample points and move to the mean of the sample points nearest
    to them. Seeds that end outside the (non-convex) strip snap to their nearest sample.

    Parameters
    ----------
    surface
        Strips and raster the sample is drawn from.
    weight
        Raster of seed density (same shape as ``surface.density``).
    strip
        Index of the township strip.
    n
        Number of seeds.
    rng
        Random state, consumed deterministically.
    rounds
        Lloyd iterations.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` lon/lat seeds, all distinct and inside the strip.
    """
    samples = to_km(*sample_points(surface, weight, strip, max(40 * n, 4000), rng).T)
    seeds = samples[:n].copy()
    for _ in range(rounds):
        _, nearest = cKDTree(seeds).query(samples, workers=1)
        count = np.bincount(nearest, minlength=n)
        moved = count > 0
        for axis in (0, 1):
            total = np.bincount(nearest, weights=samples[:, axis], minlength=n)
            seeds[moved, axis] = total[moved] / count[moved]
    lonlat = from_km(seeds)
    outside = ~shapely.contains_xy(surface.strips[strip], lonlat[:, 0], lonlat[:, 1])
    if outside.any():
        _, snap = cKDTree(samples).query(seeds[outside], workers=1)
        seeds[outside] = samples[snap]
    if len(np.unique(seeds, axis=0)) != n:
        raise ValueError(f"duplicate seeds in strip {strip}")
    return from_km(seeds)


def voronoi_cells(seeds: Floats, strip: shapely.Geometry) -> Geoms:
    """Voronoi cells of lon/lat seeds (computed in km), in seed order, clipped to the strip."""
    xy = to_km(seeds[:, 0], seeds[:, 1])
    box = shapely.box(*xy.min(axis=0), *xy.max(axis=0)).buffer(50.0)
    diagram = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=box, ordered=True)
    cells = shapely.transform(shapely.get_parts(diagram), from_km)
    return np.asarray(shapely.intersection(cells, strip))


def faces_from_cells(outline: shapely.Polygon, cells: Geoms) -> tuple[Geoms, Ints]:
    """Node all cell edges with snap-rounding and polygonize them into faces.

    Parameters
    ----------
    outline
        The banner outline; its boundary is noded with the cells' edges.
    cells
        Polygons, clipped to the outline, that may overlap or miss each other by rounding.

    Returns
    -------
    faces : numpy.ndarray
        Polygons on the :data:`~sample_data.spec.GRID_SIZE` grid forming an exact coverage.
    cell : numpy.ndarray
        For each face, the index of the cell it overlaps most. Faces outside every cell
        (loops left outside the outline by the noding) are dropped.
    """
    lines = np.concatenate([[outline.boundary], shapely.boundary(cells)])
    noded = shapely.unary_union(lines, grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    face_idx, cell_idx = shapely.STRtree(cells).query(faces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(faces[face_idx], cells[cell_idx]))
    order = np.lexsort((-overlap, face_idx))
    first = np.unique(face_idx[order], return_index=True)[1]
    best = np.full(len(faces), -1, dtype=np.int64)
    best_overlap = np.zeros(len(faces))
    best[face_idx[order][first]] = cell_idx[order][first]
    best_overlap[face_idx[order][first]] = overlap[order][first]
    keep = best_overlap > 0
    dropped = float(shapely.area(faces[~keep]).sum())
    if dropped > 1e-10:
        raise ValueError(f"noding left {dropped:.3g} square degrees outside every cell")
    return faces[keep], best[keep]


def adjacency(polygons: Geoms) -> sparse.csr_matrix:
    """Shared-edge lengths (km) between polygons whose common edges have identical vertices.

    Every ring segment is keyed by its two end points on the integer precision grid; a
    segment that two polygons both use is a shared edge. This is exact for a coverage whose
    shared edges carry the same vertices, as faces from one noding do.
    """
    rings, owner = shapely.get_rings(polygons, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    grid = np.rint(coords / GRID_SIZE).astype(np.int64)
    same_ring = ring_of[1:] == ring_of[:-1]
    a, b = grid[:-1][same_ring], grid[1:][same_ring]
    who = owner[ring_of[:-1][same_ring]]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    key = np.column_stack([np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)])
    order = np.lexsort(key.T[::-1])
    key, who = key[order], who[order]
    shared = np.all(key[1:] == key[:-1], axis=1) & (who[1:] != who[:-1])
    i, j = who[:-1][shared], who[1:][shared]
    seg = key[:-1][shared].astype(np.float64) * GRID_SIZE
    length = np.hypot((seg[:, 2] - seg[:, 0]) * KM_X, (seg[:, 3] - seg[:, 1]) * KM_Y)
    n = len(polygons)
    m = sparse.coo_matrix((length, (i, j)), shape=(n, n)).tocsr()
    return (m + m.T).tocsr()


def make_contiguous(adj: sparse.csr_matrix, labels: Ints, parent: Ints, size: Floats) -> Ints:
    """Reassign stray pieces so that every label forms one edge-connected set.

    For each label the largest connected piece (by ``size``) stays; every other piece
    moves to the neighbouring label, within the same ``parent``, with which it shares the
    longest edge. Units with equal ``parent`` values are the only candidates, so a fix
    never crosses a boundary of the level above.

    Parameters
    ----------
    adj
        Symmetric shared-edge lengths between units (see :func:`adjacency`).
    labels
        Current label of each unit.
    parent
        Unit of the level above each unit lies in.
    size
        Weight used to pick the piece that stays (area).

    Returns
    -------
    numpy.ndarray
        New labels; every label keeps at least its largest piece.

    Examples
    --------
    A strip of four squares where label 0 is split by label 1:

    >>> adj = sparse.csr_matrix(np.array(
    ...     [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float))
    >>> labels = np.array([0, 1, 0, 0])
    >>> make_contiguous(adj, labels, np.zeros(4, dtype=np.int64), np.ones(4)).tolist()
    [1, 1, 0, 0]
    """
    labels = labels.copy()
    coo = adj.tocoo()
    for _ in range(20):
        inside = labels[coo.row] == labels[coo.col]
        graph = sparse.coo_matrix(
            (np.ones(inside.sum()), (coo.row[inside], coo.col[inside])), shape=adj.shape
        )
        n_comp, comp = connected_components(graph, directed=False)
        comp_size = np.bincount(comp, weights=size, minlength=n_comp)
        comp_label = np.zeros(n_comp, dtype=np.int64)
        comp_label[comp] = labels
        order = np.lexsort((-comp_size, comp_label))
        is_main = np.zeros(n_comp, dtype=bool)
        is_main[order[np.r_[True, comp_label[order][1:] != comp_label[order][:-1]]]] = True
        stray = np.flatnonzero(~is_main)
        if len(stray) == 0:
            return labels
        for c in stray[np.argsort(comp_size[stray], kind="stable")]:
            members = np.flatnonzero(comp == c)
            labels[members] = _best_neighbour(adj, labels, parent, members, is_main[comp])
    raise RuntimeError("could not make labels contiguous")


def _best_neighbour(
    adj: sparse.csr_matrix, labels: Ints, parent: Ints, members: Ints, in_main: NDArray[np.bool_]
) -> int:
    """The label sharing the longest edge with ``members`` (main pieces preferred)."""
    rows = adj[members].tocoo()
    nb, length = rows.col, rows.data
    ok = (parent[nb] == parent[members[0]]) & (labels[nb] != labels[members[0]])
    if not ok.any():
        raise RuntimeError("a stray piece has no neighbour in its parent")
    for pool in (ok & in_main[nb], ok):
        if pool.any():
            weight = np.bincount(labels[nb[pool]], weights=length[pool])
            return int(np.argmax(weight))
    raise AssertionError("unreachable")


def dissolve(polygons: Geoms, labels: Ints, n: int) -> Geoms:
    """Coverage union of ``polygons`` grouped by ``labels`` (0..n-1), each a Polygon."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    out = np.empty(n, dtype=object)
    for k in range(n):
        group = polygons[order[bounds[k] : bounds[k + 1]]]
        if len(group) == 0:
            raise ValueError(f"unit {k} has no parts")
        out[k] = group[0] if len(group) == 1 else shapely.coverage_union_all(group)
    return out
