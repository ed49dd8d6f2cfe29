"""Operations on a polygonal coverage: overlaps, gaps, parts outside, unmatched edges, sizes.

Plain shapely arrays in and out, in CGCS2000 lon/lat; :mod:`geo.topology` turns the results
into problems and :mod:`geo.topology.snapping` into repairs. A *coverage* is an array of valid
(Multi)Polygons that should share edges vertex for vertex and not overlap; a *parent* is the
area they should fill.

Sizes are metres on the CGCS2000 (GRS80) ellipsoid: areas from the area element at the
centroid's latitude (:func:`area_m2` says why not a projection), lengths geodesic, widths on
a local equirectangular plane, and a tolerance in metres becomes degrees at the length of a
degree of latitude, so it never reaches farther than asked.

Examples
--------
>>> from shapely import box
>>> cells = np.array([box(110.0, 40.0, 110.001, 40.001), box(110.001, 40.0, 110.002, 40.001)])
>>> parent = box(110.0, 40.0, 110.002, 40.0012)
>>> [round(float(area_m2(g))) for g in gaps(cells, parent)]
[3793]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

__all__ = [
    "METRES_PER_DEGREE",
    "area_m2",
    "bordering",
    "degrees",
    "frame",
    "gaps",
    "is_sliver",
    "length_m",
    "make_valid",
    "outside",
    "overlaps",
    "polygonal",
    "same_vertices",
    "scale",
    "unmatched_edges",
]

#: Metres in a degree of latitude (a degree of longitude is shorter).
METRES_PER_DEGREE = 111_320.0
#: Slack when matching a line to the boundary of an area computed from the same vertices.
EPS_DEG = 1e-9  # ~0.1 mm
#: A segment that runs this far along a reported area is explained by it (~1 cm); a segment
#: merely meeting the area at a corner runs along it for EPS_DEG / sin(angle) at most.
_ALONG_DEG = 1e-7

Geoms = NDArray[np.object_]
Ints = NDArray[np.intp]
_POLYGONAL = ("Polygon", "MultiPolygon")
_GEOD = Geod(ellps="GRS80")
_A = 6_378_137.0  # GRS80 = CGCS2000 ellipsoid (their flattenings differ in the 11th digit)
_E2 = _GEOD.es


def scale(latitude: Any) -> tuple[Any, Any]:
    """Metres per degree of longitude and of latitude on the ellipsoid at ``latitude``."""
    phi = np.radians(latitude)
    w = 1.0 - _E2 * np.sin(phi) ** 2
    per_radian = np.pi / 180.0
    return _A / np.sqrt(w) * np.cos(phi) * per_radian, _A * (1.0 - _E2) / w**1.5 * per_radian


def area_m2(geometry: Any) -> Any:
    """Area in square metres of lon/lat geometries (a scalar or an array, as shapely).

    Edges are straight in lon/lat, as shapely and PostGIS ``geometry`` draw them, so the
    area is the planar area in square degrees times the ellipsoid's area element at the
    centroid's latitude. An equal-area projection would bend those edges: three collinear
    vertices 200 m apart would enclose ~0.1 m² there, which is how slivers are judged.
    For a micro-grid this agrees with a densified Albers projection to the square millimetre,
    for a 1,400 km² township to 5 parts in a million.

    Examples
    --------
    >>> round(float(area_m2(shapely.box(110.0, 40.0, 110.001, 40.001))), 1)
    9481.6
    """
    planar = shapely.area(geometry)
    latitude = shapely.bounds(shapely.centroid(geometry))[..., 1]  # NaN when empty
    x, y = scale(latitude)
    return np.where(planar > 0, planar * x * y, 0.0)[()]


def _local_metres(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry in metres on a local equirectangular plane (an affine map: lines stay)."""
    centre = shapely.centroid(geometry)
    x, y = scale(centre.y)
    return shapely.affinity.affine_transform(
        geometry, [x, 0.0, 0.0, y, -x * centre.x, -y * centre.y]
    )


def length_m(geometry: BaseGeometry) -> float:
    """Geodesic length in metres of a lon/lat line (for a polygon, its perimeter)."""
    return float(_GEOD.geometry_length(geometry))


def degrees(metres: float) -> float:
    """A distance in metres as degrees of latitude (the longer degree: never farther)."""
    return metres / METRES_PER_DEGREE


def is_sliver(geometry: BaseGeometry, width_m: float) -> bool:
    """Whether every point of an area lies within ``width_m / 2`` of its edge.

    Examples
    --------
    >>> is_sliver(shapely.box(110.0, 40.0, 110.001, 40.0000001), 0.5)  # 1 cm x 85 m
    True
    >>> is_sliver(shapely.box(110.0, 40.0, 110.001, 40.001), 0.5)
    False
    """
    if geometry.is_empty:
        return True
    return bool(shapely.buffer(_local_metres(geometry), -width_m / 2).is_empty)


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The polygons of an overlay result, without the lines and points it may carry."""
    if geometry.geom_type in _POLYGONAL:
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in _POLYGONAL]
    polygons = shapely.get_parts(parts)
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(list(polygons))


def overlaps(polygons: Geoms, tree: shapely.STRtree) -> tuple[Ints, Ints, Geoms]:
    """Pairs ``i < j`` whose interiors intersect (containment included), and the shared area.

    The DE-9IM pattern ``2********`` finds a polygon lying wholly inside another, which
    ``overlaps`` (and PostGIS ``ST_Overlaps``) does not.
    """
    left, right = tree.query(polygons, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    inner = shapely.relate_pattern(polygons[left], polygons[right], "2********")
    left, right = left[inner], right[inner]
    shared = shapely.intersection(polygons[left], polygons[right])
    return left, right, np.array([polygonal(g) for g in shared], dtype=object)


def outside(polygons: Geoms, parent: BaseGeometry) -> tuple[Ints, Geoms]:
    """Indices of polygons not covered by ``parent``, and the part of each outside it.

    A polygon whose only part outside is a line or a point (rounding) is left out.
    """
    shapely.prepare(parent)
    out = np.flatnonzero(~shapely.covered_by(polygons, parent))
    parts = np.array(
        [polygonal(g) for g in shapely.difference(polygons[out], parent)], dtype=object
    )
    keep = ~shapely.is_empty(parts) if len(parts) else np.zeros(0, dtype=bool)
    return out[keep], parts[keep]


def gaps(polygons: Geoms, parent: BaseGeometry) -> Geoms:
    """The separate pieces of ``parent`` that no polygon covers."""
    covered = shapely.union_all(polygons)
    rest = shapely.get_parts(polygonal(shapely.difference(parent, covered)))
    return rest[~shapely.is_empty(rest)]


def bordering(tree: shapely.STRtree, polygons: Geoms, area: BaseGeometry) -> Ints:
    """Polygons sharing a stretch of edge with ``area`` (touching at a corner is not enough)."""
    near = tree.query(area, predicate="dwithin", distance=EPS_DEG)
    along = near[shapely.relate_pattern(area, polygons[near], "****1****")]
    return np.sort(along if len(along) else near)


def frame(parent: BaseGeometry) -> BaseGeometry:
    """The parent's complement in a box around it: a coverage member its children must fit."""
    xmin, ymin, xmax, ymax = parent.bounds
    pad = max(xmax - xmin, ymax - ymin, 1e-3)
    return shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad).difference(parent)


def unmatched_edges(
    polygons: Geoms,
    parent: BaseGeometry | None,
    *,
    explained: Sequence[BaseGeometry] | None = None,
    gap_width_m: float = 0.0,
) -> list[tuple[tuple[int, ...], BaseGeometry, float]]:
    """Edges that should be shared vertex for vertex and are not, grouped by who shares them.

    :func:`shapely.coverage_invalid_edges` runs on the array of polygons plus, when there is
    a parent, its :func:`frame`, so a child's outer edges must carry the parent's vertices;
    gaps narrower than ``gap_width_m`` have their edges flagged too. Segments running along
    ``explained`` (areas already reported) are dropped whole: GEOS flags a whole segment when
    part of it is wrong. Each remaining segment is paired with the nearest segment of another
    polygon within ``gap_width_m`` of its middle (nearest, so that two polygons meeting the
    same mismatch at a corner are not paired with each other).

    Returns
    -------
    list of (owners, lines, metres)
        ``owners`` are sorted polygon indices, ``-1`` standing for the parent (one owner when
        no partner was found); ``lines`` the segments of both sides; ``metres`` the longer
        side's length.
    """
    coverage = polygons
    if parent is not None:
        coverage = np.append(polygons, np.array([frame(parent)], dtype=object))
    narrow = degrees(gap_width_m)
    edges = shapely.coverage_invalid_edges(coverage, gap_width=narrow)
    flagged = np.flatnonzero(~shapely.is_empty(edges))
    segments, owner = _segments(edges[flagged])
    owner = flagged[owner]
    if parent is not None:
        owner[owner == len(polygons)] = -1
    if len(segments) and explained is not None and len(explained):
        areas = shapely.buffer(np.asarray(explained, dtype=object), EPS_DEG)
        seg, area = shapely.STRtree(areas).query(segments, predicate="intersects")
        along = np.zeros(len(segments))
        np.add.at(along, seg, shapely.length(shapely.intersection(segments[seg], areas[area])))
        keep = along <= _ALONG_DEG
        segments, owner = segments[keep], owner[keep]
    if len(segments) == 0:
        return []
    middles = shapely.line_interpolate_point(segments, 0.5, normalized=True)
    near, other = shapely.STRtree(segments).query(
        middles, predicate="dwithin", distance=max(narrow, EPS_DEG)
    )
    foreign = owner[near] != owner[other]
    near, other = near[foreign], other[foreign]
    order = np.lexsort((shapely.distance(middles[near], segments[other]), near))
    first = np.unique(near[order], return_index=True)[1]
    partner = np.full(len(segments), -2)
    partner[near[order][first]] = owner[other[order][first]]
    groups: dict[tuple[int, ...], dict[int, list[BaseGeometry]]] = {}
    for k, (mine, theirs) in enumerate(zip(owner, partner, strict=True)):
        key = (int(mine),) if theirs == -2 else tuple(sorted((int(mine), int(theirs))))
        groups.setdefault(key, {}).setdefault(int(mine), []).append(segments[k])
    found = []
    for key, sides in groups.items():
        where = shapely.multilinestrings([seg for side in sides.values() for seg in side])
        metres = max(sum(length_m(seg) for seg in side) for side in sides.values())
        found.append((key, shapely.line_merge(where), metres))
    return found


def _segments(lines: Geoms) -> tuple[Geoms, Ints]:
    """Every two-point segment of the lines, and the index of the line it came from."""
    parts, line_of = shapely.get_parts(lines, return_index=True)
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    same = part_of[1:] == part_of[:-1]
    pairs = np.stack([coords[:-1][same], coords[1:][same]], axis=1)
    segments = shapely.linestrings(pairs) if len(pairs) else np.empty(0, dtype=object)
    return np.asarray(segments, dtype=object), line_of[part_of[:-1][same]]


def same_vertices(a: BaseGeometry, b: BaseGeometry) -> bool:
    """Whether two polygonal geometries have the same rings and vertices, in any order.

    Examples
    --------
    >>> square = shapely.box(0, 0, 1, 1)
    >>> same_vertices(square, shapely.MultiPolygon([square.reverse()]))
    True
    """

    def key(g: BaseGeometry) -> BaseGeometry:
        return shapely.normalize(shapely.MultiPolygon(list(shapely.get_parts(g))))

    return bool(shapely.equals_exact(key(a), key(b), 0))


def make_valid(geometry: BaseGeometry) -> BaseGeometry:
    """``make_valid(method="structure")`` keeping only polygons (collapsed parts dropped)."""
    return polygonal(shapely.make_valid(geometry, method="structure", keep_collapsed=False))
