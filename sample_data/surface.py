"""The banner outline, the township strips and the synthetic population surface.

Coordinates are CGCS2000 lon/lat degrees (treated as equal to WGS-84). Distances and
clustering use a local equirectangular plane in kilometres (:func:`to_km`), which is linear in
lon/lat, so straight lines (Voronoi edges) stay straight when mapped back. Areas use an Albers
equal-area projection fitted to the banner (:data:`ALBERS`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.ndimage import gaussian_filter

from geo.datum import gcj02_to_wgs84
from sample_data.spec import GRID_SIZE, SEAT_LONLAT, TOWNSHIPS

__all__ = [
    "ALBERS",
    "RASTER_STEP",
    "Surface",
    "area_km2",
    "build_surface",
    "from_km",
    "load_outline",
    "sample_points",
    "to_km",
]

Floats = NDArray[np.float64]

#: Albers equal-area on the CGCS2000 (GRS80) ellipsoid, standard parallels across the banner.
ALBERS = "+proj=aea +lat_0=40.2 +lon_0=109.85 +lat_1=39.9 +lat_2=40.5 +ellps=GRS80 +units=m"
_TO_ALBERS = Transformer.from_crs("EPSG:4490", ALBERS, always_xy=True)

_LON0, _LAT0 = 109.85, 40.2
_A, _E2 = 6378137.0, 0.00669438002290  # GRS80
_S = np.sin(np.radians(_LAT0)) ** 2
#: Kilometres per degree of longitude and latitude at the banner's middle latitude.
KM_X = float(np.pi / 180 * _A * np.cos(np.radians(_LAT0)) / np.sqrt(1 - _E2 * _S) / 1000)
KM_Y = float(np.pi / 180 * _A * (1 - _E2) / (1 - _E2 * _S) ** 1.5 / 1000)

RASTER_STEP = 0.002  # degrees; ~170 m x 220 m cells
_CUT_SOUTH, _CUT_NORTH, _CUT_STEP = 39.70, 40.70, 0.004


def to_km(lon: Floats, lat: Floats) -> Floats:
    """Project lon/lat to the local plane, an ``(n, 2)`` array in kilometres.

    Examples
    --------
    >>> to_km(np.array([109.85]), np.array([40.2])).tolist()
    [[0.0, 0.0]]
    """
    return np.column_stack([(lon - _LON0) * KM_X, (lat - _LAT0) * KM_Y])


def from_km(xy: Floats) -> Floats:
    """Inverse of :func:`to_km`, an ``(n, 2)`` lon/lat array."""
    return np.column_stack([xy[:, 0] / KM_X + _LON0, xy[:, 1] / KM_Y + _LAT0])


def area_km2(geoms: NDArray[np.object_]) -> Floats:
    """Areas on the Albers equal-area projection, in square kilometres."""

    def project(c: Floats) -> Floats:
        return np.column_stack(_TO_ALBERS.transform(c[:, 0], c[:, 1]))

    return np.asarray(shapely.area(shapely.transform(geoms, project)), dtype=float) / 1e6


def load_outline(path: Path) -> shapely.Polygon:
    """Read the GCJ-02 outline, convert every vertex to WGS-84 and snap it to the grid.

    Examples
    --------
    >>> from sample_data.spec import OUTLINE_PATH
    >>> outline = load_outline(OUTLINE_PATH)
    >>> outline.geom_type, bool(outline.is_valid)
    ('Polygon', True)
    """
    with path.open(encoding="utf-8") as f:
        collection = json.load(f)
    geom = shapely.geometry.shape(collection["features"][0]["geometry"])

    def convert(c: Floats) -> Floats:
        return np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1]))

    wgs = shapely.make_valid(shapely.transform(geom, convert))
    snapped = shapely.set_precision(wgs, GRID_SIZE)
    parts = [p for p in shapely.get_parts(snapped) if p.geom_type == "Polygon"]
    outline = max(parts, key=lambda p: p.area)
    if not outline.is_valid:
        raise ValueError("outline is invalid after conversion and snapping")
    return outline


@dataclass
class Surface:
    """Township strips and the population raster over the banner.

    Attributes
    ----------
    outline
        The banner outline (WGS-84, on the precision grid).
    cuts
        ``(7, m)`` longitudes of the seven wavy north-south cut lines at :attr:`cut_lat`.
    strips
        The eight township strips (outline between consecutive cuts), west to east.
    seats
        ``(8, 2)`` lon/lat of each township seat.
    lon, lat
        Raster cell centres (1-d axes).
    density
        Residents per km² per cell, scaled so each strip holds its township's population.
    strip_of
        Strip index of each cell (-1 outside the banner).
    cell_km2
        Area of one raster cell.
    """

    outline: shapely.Polygon
    cut_lat: Floats
    cuts: Floats
    strips: list[shapely.Geometry]
    seats: Floats
    lon: Floats
    lat: Floats
    density: Floats
    strip_of: NDArray[np.int64]
    cell_km2: float


def _north_edge(outline: shapely.Polygon) -> tuple[Floats, Floats]:
    """Latitude of the outline's northern edge (the Yellow River) by longitude."""
    west, south, east, north = outline.bounds
    xs = np.arange(west + 0.001, east, 0.005)
    lines = shapely.linestrings([[(x, south - 1), (x, north + 1)] for x in xs])
    cut = shapely.intersection(lines, outline)
    ys = np.array([shapely.bounds(c)[3] if not c.is_empty else np.nan for c in cut])
    ok = ~np.isnan(ys)
    return xs[ok], ys[ok]


def _between(east: Floats, cut_lat: Floats, west: Floats | None) -> shapely.Polygon:
    """The region west of one cut line and east of another (or unbounded to the west)."""
    ring = np.column_stack([east, cut_lat])
    if west is None:
        tail = np.array([[107.5, cut_lat[-1]], [107.5, cut_lat[0]]])
    else:
        tail = np.column_stack([west, cut_lat])[::-1]
    return shapely.Polygon(np.vstack([ring, tail]))


def _waves(cut_lat: Floats, rng: np.random.Generator) -> Floats:
    """The wiggle of each cut line (degrees of longitude), two sines with random phases."""
    phase = rng.uniform(0, 2 * np.pi, size=(len(TOWNSHIPS) - 1, 2, 1))
    return 0.016 * np.sin(2 * np.pi * cut_lat / 0.23 + phase[:, 0]) + 0.006 * np.sin(
        2 * np.pi * cut_lat / 0.085 + phase[:, 1]
    )


def _place_cuts(
    outline: shapely.Polygon, cut_lat: Floats, waves: Floats, targets: Floats
) -> Floats:
    """Offset each wavy cut so that the outline west of it has the target area (bisection)."""
    cuts = []
    for wave, target in zip(waves, targets, strict=True):
        lo, hi = 108.9, 110.8
        for _ in range(48):
            mid = (lo + hi) / 2
            west = shapely.intersection(outline, _between(mid + wave, cut_lat, None))
            if area_km2(np.array([west]))[0] < target:
                lo = mid
            else:
                hi = mid
        cuts.append((lo + hi) / 2 + wave)
    arr = np.array(cuts)
    if np.any(np.diff(arr, axis=0) <= 0.02):
        raise ValueError("township cut lines come too close to each other")
    return arr


def _strips(outline: shapely.Polygon, cut_lat: Floats, cuts: Floats) -> list[shapely.Geometry]:
    """The outline between consecutive cuts; detached pieces go to the neighbour they touch most."""
    strips: list[shapely.Geometry] = []
    for i in range(len(cuts) + 1):
        east = cuts[i] if i < len(cuts) else np.full_like(cut_lat, 112.0)
        west = cuts[i - 1] if i > 0 else None
        strips.append(shapely.intersection(outline, _between(east, cut_lat, west)))
    for i in range(len(strips)):
        parts = sorted(shapely.get_parts(strips[i]), key=lambda p: -p.area)
        strips[i] = parts[0]
        for part in parts[1:]:
            shared = [
                shapely.intersection(part.boundary, s.boundary).length if j != i else -1.0
                for j, s in enumerate(strips)
            ]
            j = int(np.argmax(shared))
            strips[j] = shapely.union(strips[j], part)
    for i, strip in enumerate(strips):
        if strip.geom_type != "Polygon":
            raise ValueError(f"strip of {TOWNSHIPS[i].name} is not one polygon")
    return strips


def _cut_strips(
    outline: shapely.Polygon, rng: np.random.Generator
) -> tuple[Floats, Floats, list[shapely.Geometry]]:
    """Cut lines and strips, re-aimed until detached pieces no longer skew the areas."""
    cut_lat = np.arange(_CUT_SOUTH, _CUT_NORTH + _CUT_STEP / 2, _CUT_STEP)
    waves = _waves(cut_lat, rng)
    total = float(area_km2(np.array([outline]))[0])
    wanted = np.cumsum([t.area_km2 or 0.0 for t in TOWNSHIPS[:-1]])
    if wanted[-1] >= total:
        raise ValueError(f"township areas {wanted[-1]:.0f} exceed the banner's {total:.0f} km2")
    targets = wanted.copy()
    for _ in range(4):
        cuts = _place_cuts(outline, cut_lat, waves, targets)
        strips = _strips(outline, cut_lat, cuts)
        got = np.cumsum(area_km2(np.array(strips[:-1])))
        if np.all(np.abs(got - wanted) < 0.05):
            break
        targets += wanted - got
    return cut_lat, cuts, strips


def _seats(strips: list[shapely.Geometry], edge: tuple[Floats, Floats]) -> Floats:
    """Seat of each township: the real banner seat, else ~7 km south of the river mid-strip."""
    seats = []
    for township, strip in zip(TOWNSHIPS, strips, strict=True):
        if township.name == "树林召镇":
            point = shapely.Point(SEAT_LONLAT)
        else:
            x = strip.centroid.x
            point = shapely.Point(x, float(np.interp(x, *edge)) - 0.065)
        if not strip.contains(point):
            raise ValueError(f"seat of {township.name} {point} falls outside its strip")
        seats.append((point.x, point.y))
    return np.array(seats)


def _density(
    surface_lon: Floats,
    surface_lat: Floats,
    seats: Floats,
    edge: tuple[Floats, Floats],
    rng: np.random.Generator,
) -> Floats:
    """Raw residents per km²: river plain, seats, sparse desert, smooth noise."""
    x, y = np.meshgrid(surface_lon, surface_lat)
    river_km = np.clip(np.interp(x, *edge) - y, 0, None) * KM_Y
    plain = 70 * np.exp(-river_km / 10) + 22 * np.exp(-river_km / 28)
    hills = 3.0 * np.clip((river_km - 42) / 15, 0, 1)
    noise = gaussian_filter(rng.standard_normal(x.shape), sigma=7, mode="nearest")
    noise /= noise.std()
    rural = (1.0 + plain + hills) * np.exp(0.5 * noise)
    xy = to_km(x.ravel(), y.ravel())
    towns = np.zeros(x.size)
    for township, seat in zip(TOWNSHIPS, to_km(seats[:, 0], seats[:, 1]), strict=True):
        r2 = ((xy - seat) ** 2).sum(axis=1)
        # A built-up plateau that falls off quickly, and a wider suburban halo.
        if township.name == "树林召镇":
            towns += 3000 * np.exp(-((r2 / 3.2**2) ** 1.5)) + 150 * np.exp(-r2 / (2 * 6.0**2))
        else:
            towns += 1000 * np.exp(-((r2 / 1.1**2) ** 1.5)) + 60 * np.exp(-r2 / (2 * 3.5**2))
    return rural + towns.reshape(x.shape)


def build_surface(outline: shapely.Polygon, rng: np.random.Generator) -> Surface:
    """Cut the outline into township strips and lay the population raster over it.

    Parameters
    ----------
    outline
        The banner outline from :func:`load_outline`.
    rng
        Random state (cut-line phases and the noise field).

    Returns
    -------
    Surface
        Strips whose areas match :data:`~sample_data.spec.TOWNSHIPS` and a raster holding
        each township's population.
    """
    edge = _north_edge(outline)
    cut_lat, cuts, strips = _cut_strips(outline, rng)
    seats = _seats(strips, edge)
    west, south, east, north = outline.bounds
    lon = np.arange(west + RASTER_STEP / 2, east, RASTER_STEP)
    lat = np.arange(south + RASTER_STEP / 2, north, RASTER_STEP)
    density = _density(lon, lat, seats, edge, rng)
    gx, gy = np.meshgrid(lon, lat)
    strip_of = np.full(gx.shape, -1, dtype=np.int64)
    for i, strip in enumerate(strips):
        shapely.prepare(strip)
        strip_of[shapely.contains_xy(strip, gx, gy)] = i
    cell_km2 = RASTER_STEP**2 * KM_X * KM_Y
    density = np.where(strip_of >= 0, density, 0.0)
    for i, township in enumerate(TOWNSHIPS):
        mask = strip_of == i
        density[mask] *= township.population / (density[mask].sum() * cell_km2)
    return Surface(outline, cut_lat, cuts, strips, seats, lon, lat, density, strip_of, cell_km2)


def sample_points(
    surface: Surface, weight: Floats, strip: int, n: int, rng: np.random.Generator
) -> Floats:
    """Draw ``n`` lon/lat points inside a strip with probability proportional to ``weight``.

    Cells are drawn by weight, points are jittered uniformly inside the cell, and points
    that land outside the strip are drawn again.

    Parameters
    ----------
    surface
        The raster and strips.
    weight
        Raster of sampling weights (same shape as ``surface.density``).
    strip
        Index of the strip.
    n
        Number of points.
    rng
        Random state.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` lon/lat points inside the strip.
    """
    mask = surface.strip_of == strip
    rows, cols = np.nonzero(mask)
    p = weight[mask] / weight[mask].sum()
    geom = surface.strips[strip]
    out: list[Floats] = []
    have = 0
    while have < n:
        k = int((n - have) * 1.05) + 16
        pick = rng.choice(len(p), size=k, p=p)
        jitter = rng.uniform(-0.5, 0.5, size=(k, 2)) * RASTER_STEP
        pts = np.column_stack([surface.lon[cols[pick]], surface.lat[rows[pick]]]) + jitter
        pts = pts[shapely.contains_xy(geom, pts[:, 0], pts[:, 1])]
        out.append(pts)
        have += len(pts)
    return np.vstack(out)[:n]
