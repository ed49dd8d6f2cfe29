"""Mapbox Vector Tiles of the areas and of incident counts, built by PostGIS (``ST_AsMVT``).

Tiles use the XYZ scheme in Web Mercator (EPSG:3857, ``ST_TileEnvelope``); geometries are
transformed from storage (EPSG:4490) inside the query, after an ``&&`` prefilter against the
envelope transformed to storage, so the GiST index picks the candidates. A tile carries one
layer named after the request: the area levels carry ``code, name, level, parent_code``; the
``incidents`` layer carries ``code, open_count, total_count`` per micro-grid, the ``coverage``
layer the coverage counts per micro-grid (``tile_coverage.sql``). No personal data
is ever in a tile. A tile holds only what lies inside the caller's :class:`~geo.scope.Scope`:
areas inside it and the incidents held in them (for department staff, those routed to their
department); a tile with nothing inside the scope is empty.

Area tiles are kept in memory (:class:`TileCache`, least recently used out first) by
database, generation, scope prefix, layer and tile: a generation's areas are written with it in
one transaction and never change afterwards (a new layout is a new generation), so a kept
tile is exact for as long as the process lives. Incident tiles are built on every request.
A combined area tile (:func:`areas_tile`) is the kept tiles of the levels drawn at its zoom,
concatenated.

Examples
--------
>>> check_tile(12, 3297, 1544)
>>> try:
...     check_tile(3, 8, 0)
... except InvalidInput as e:
...     print(e.field, "|", e.problem)
x | must be between 0 and 7 at zoom 3, got 8
>>> parse_layer("micro_grid").value
'micro_grid'
"""

from __future__ import annotations

import enum
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from geo.errors import InvalidInput, NotFound
from geo.scope import Scope
from geo.sql import query

MAX_ZOOM = 22
#: Tile extent in MVT units and the buffer kept around it (ST_AsMVT's defaults).
EXTENT = 4096
BUFFER = 64
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: Areas less than this many tile pixels across are left out (specks at low zooms). Outlines
#: are not simplified first: ST_AsMVTGeom snaps them to the tile grid anyway, and a
#: ST_SimplifyPreserveTopology pass made z8-z11 tiles ~2x slower for the same bytes.
MIN_PIXELS = 2
#: Bytes of area tiles kept per process (a z10 tile of the banner is ~40 KB, a z14 one ~3 KB).
CACHE_BYTES = 64 * 2**20


class Layer(enum.StrEnum):
    """The layers a tile can hold: four area levels and the incident counts."""

    TOWNSHIP = "township"
    VILLAGE = "village"
    GRID = "grid"
    MICRO_GRID = "micro_grid"
    INCIDENTS = "incidents"
    COVERAGE = "coverage"

    @property
    def max_age(self) -> int:
        """Seconds a client may cache the tile: counts change all day, boundaries rarely."""
        return 60 if self in COUNTED else 3600


#: The layers of counts, built on every request and never kept.
COUNTED = frozenset({Layer.INCIDENTS, Layer.COVERAGE})
LAYER_CHOICES = ", ".join(layer.value for layer in Layer)


def parse_layer(name: str) -> Layer:
    """The layer called ``name``; an unknown one is :class:`NotFound` listing the valid ones."""
    try:
        return Layer(name)
    except ValueError:
        raise NotFound(f"unknown tile layer {name!r}; layers are {LAYER_CHOICES}") from None


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse a zoom outside 0..22 and a column or row outside 0..2^z-1, naming the field."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput("z", f"must be between 0 and {MAX_ZOOM}, got {z}", where="path")
    last = 2**z - 1
    for field, value in (("x", x), ("y", y)):
        if not 0 <= value <= last:
            raise InvalidInput(
                field, f"must be between 0 and {last} at zoom {z}, got {value}", where="path"
            )


@dataclass(frozen=True)
class IncidentTileFilter:
    """Which incidents the ``incidents`` layer counts; ``closed`` says which statuses are done."""

    closed: frozenset[str]
    category: str | None = None
    since: datetime | None = None

    def check(self) -> IncidentTileFilter:
        if self.category is not None and not (
            self.category.isdigit() and len(self.category) in (2, 4)
        ):
            raise InvalidInput("category", f"{self.category!r} is not a 2- or 4-digit code")
        if self.since is not None and self.since.utcoffset() is None:
            raise InvalidInput("since", "must carry a UTC offset, e.g. 2024-01-01T00:00:00+08:00")
        return self


TileKey = tuple[str, int, str | None, str, int, int, int]


class TileCache:
    """Tiles by key, least recently used out first once they pass ``max_bytes``; thread-safe.

    Examples
    --------
    >>> cache = TileCache(max_bytes=5)
    >>> cache.put(("db", 1, None, "grid", 0, 0, 0), b"abc")
    >>> cache.put(("db", 1, None, "grid", 1, 0, 0), b"de")
    >>> cache.put(("db", 1, None, "grid", 1, 1, 0), b"f")
    >>> cache.get(("db", 1, None, "grid", 0, 0, 0)) is None, len(cache)
    (True, 2)
    """

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[TileKey, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tiles)

    def get(self, key: TileKey) -> bytes | None:
        with self._lock:
            data = self._tiles.get(key)
            if data is not None:
                self._tiles.move_to_end(key)
            return data

    def put(self, key: TileKey, data: bytes) -> None:
        with self._lock:
            old = self._tiles.pop(key, None)
            self._bytes += len(data) - (len(old) if old is not None else 0)
            self._tiles[key] = data
            while self._bytes > self.max_bytes and self._tiles:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped)


_area_tiles = TileCache()


def _pixel_degrees(z: int) -> float:
    """One tile pixel (1/EXTENT of a tile) in degrees of longitude at zoom ``z``.

    A degree of latitude spans more Mercator pixels than a degree of longitude, so comparing
    either side of a box with this errs on the side of keeping an area.
    """
    return 360.0 / (2**z * EXTENT)


def tile(
    conn: Connection,
    layer: Layer,
    z: int,
    x: int,
    y: int,
    *,
    generation: int,
    scope: Scope,
    incidents: IncidentTileFilter | None = None,
    k: int = 0,
) -> bytes:
    """The tile ``z/x/y`` of ``layer`` in ``generation`` inside ``scope`` as MVT bytes; empty
    when nothing is there.

    ``incidents`` filters the ``incidents`` layer (all statuses count towards ``total_count``,
    those outside ``closed`` towards ``open_count``). With ``k`` (roles without access to the
    cases, ``WANGGE_PRIVACY_K``) a micro-grid with fewer than ``k`` matching incidents is left
    out of it and an ``open_count`` from 1 to ``k`` − 1 is left off.
    """
    check_tile(z, x, y)
    params: dict[str, Any] = {
        "z": z,
        "x": x,
        "y": y,
        "g": generation,
        "extent": EXTENT,
        "buffer": BUFFER,
        **scope.params(),
    }
    if layer is Layer.INCIDENTS:
        where = (incidents or IncidentTileFilter(closed=frozenset())).check()
        params |= {
            "category": where.category,
            "since": where.since,
            "closed": sorted(where.closed),
            "k": k,
        }
        data = conn.execute(query("tile_incidents"), params).scalar_one()
        return bytes(data) if data else b""
    if layer is Layer.COVERAGE:  # routines (#16): counts at this moment
        data = conn.execute(query("tile_coverage"), params | {"now": datetime.now(UTC)})
        return bytes(mvt) if (mvt := data.scalar_one()) else b""
    key = _key(conn.engine, layer, z, x, y, generation, scope)
    found = _area_tiles.get(key)
    if found is None:
        found = _area_tile(conn, layer, params)
        _area_tiles.put(key, found)
    return found


#: The area levels of a combined tile (``GET /tiles/areas/...``) from the zoom each is drawn at:
#: townships always, villages from 9, grids from 11, micro-grids from 13.
AREA_ZOOMS: dict[Layer, int] = {
    Layer.TOWNSHIP: 0,
    Layer.VILLAGE: 9,
    Layer.GRID: 11,
    Layer.MICRO_GRID: 13,
}


def area_layers(z: int) -> list[Layer]:
    """The area levels a combined tile of zoom ``z`` carries, outermost first.

    Examples
    --------
    >>> [layer.value for layer in area_layers(11)]
    ['township', 'village', 'grid']
    """
    return [layer for layer, low in AREA_ZOOMS.items() if z >= low]


def areas_tile(conn: Connection, z: int, x: int, y: int, *, generation: int, scope: Scope) -> bytes:
    """The tile ``z/x/y`` of every area level drawn at ``z`` (:data:`AREA_ZOOMS`) as one MVT
    with one layer per level, as a tile server's composite tile: one request per tile position
    instead of one per level.

    An MVT is a protobuf message whose layers are a repeated field, so the per-level tiles
    (each kept by :class:`TileCache`) concatenated are one valid tile with all their layers.
    The innermost level comes first, since a client draws the layers in their order and an
    outer boundary should lie over the inner ones that share it.
    """
    return b"".join(
        tile(conn, layer, z, x, y, generation=generation, scope=scope)
        for layer in reversed(area_layers(z))
    )


def kept_areas(
    engine: Engine, z: int, x: int, y: int, *, generation: int, scope: Scope
) -> bytes | None:
    """The combined tile of :func:`areas_tile` when every level of it is kept, else ``None``."""
    parts = []
    for layer in reversed(area_layers(z)):
        part = kept(engine, layer, z, x, y, generation=generation, scope=scope)
        if part is None:
            return None
        parts.append(part)
    return b"".join(parts)


def kept(
    engine: Engine, layer: Layer, z: int, x: int, y: int, *, generation: int, scope: Scope
) -> bytes | None:
    """The area tile :func:`tile` built before for the same database, generation and scope,
    or ``None`` (always for the ``incidents`` layer, which is never kept)."""
    if layer in COUNTED:
        return None
    return _area_tiles.get(_key(engine, layer, z, x, y, generation, scope))


def _key(
    engine: Engine, layer: Layer, z: int, x: int, y: int, generation: int, scope: Scope
) -> TileKey:
    url = engine.url.render_as_string(hide_password=True)
    return (url, generation, scope.area_prefix, layer.value, z, x, y)


def _area_tile(conn: Connection, layer: Layer, params: dict[str, Any]) -> bytes:
    z = params["z"]
    params = params | {
        "level": layer.value,
        "layer": layer.value,
        "min_size": MIN_PIXELS * _pixel_degrees(z),
    }
    data = conn.execute(query("tile_areas"), params).scalar_one()
    return bytes(data) if data else b""


def tiles_covering(
    bounds: tuple[float, float, float, float], z: int
) -> Iterable[tuple[int, int, int]]:
    """Every tile ``(z, x, y)`` that intersects a lon/lat box (west, south, east, north).

    Examples
    --------
    >>> list(tiles_covering((110.03, 40.39, 110.05, 40.41), 12))
    [(12, 3299, 1544), (12, 3300, 1544)]
    """
    x0, y0, x1, y1 = tile_range(bounds, z)
    for tx in range(x0, x1 + 1):
        for ty in range(y0, y1 + 1):
            yield z, tx, ty


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """The first and last column and row (x0, y0, x1, y1) of the tiles of zoom ``z`` that
    intersect a lon/lat box (west, south, east, north); rows count from the north.

    Examples
    --------
    >>> tile_range((110.03, 40.39, 110.05, 40.41), 12)
    (3299, 1544, 3300, 1544)
    """
    west, south, east, north = bounds
    x0, y0 = _tile_of(west, north, z)
    x1, y1 = _tile_of(east, south, z)
    return x0, y0, x1, y1


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The lon/lat box (west, south, east, north) of tile ``z/x/y``.

    Examples
    --------
    >>> [round(v, 4) for v in tile_bounds(1, 1, 0)]
    [0.0, 0.0, 180.0, 85.0511]
    """
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)
