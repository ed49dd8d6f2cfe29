"""Geometries from outside: GeoJSON in a declared datum, validated, converted to CGCS2000.

The counterpart of :mod:`geo.points` for lines and polygons. Every refusal names the field and
says what was wrong (which type, which ring, which position, which self-intersection). The
coordinates are read as GeoJSON says, not as shapely would forgive: a position is exactly
``[lon, lat]`` of two numbers (no height, no strings, no booleans) and a ring ends where it
began; shapely would silently drop a height, close a ring, and read ``true`` as 1.

Examples
--------
>>> square = {"type": "Polygon", "coordinates": [[[110, 40], [110.01, 40], [110.01, 40.01],
...                                               [110, 40.01], [110, 40]]]}
>>> polygons_from_geojson(square, "cgcs2000").geom_type
'MultiPolygon'
>>> try:
...     polygons_from_geojson({"type": "Point", "coordinates": [110, 40]}, "wgs84")
... except InvalidInput as e:
...     print(e)
geometry: expected a Polygon or MultiPolygon, got Point
>>> open_ring = {"type": "Polygon", "coordinates": [[[110, 40], [110.01, 40], [110, 40.01]]]}
>>> try:
...     polygons_from_geojson(open_ring, "wgs84")
... except InvalidInput as e:
...     print(e)
geometry: ring 1 is not closed: its last position must repeat its first
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.datum import Datum, in_china, to_storage
from geo.errors import InvalidInput
from geo.points import parse_datum

#: The most vertices one geometry may have: the sample banner's whole outline has 3,624, so
#: this is far past any real boundary, and short of what would tie up a worker.
MAX_VERTICES = 50_000


def check_vertices(geom: BaseGeometry, field: str) -> BaseGeometry:
    """Refuse a geometry with more than :data:`MAX_VERTICES` vertices, naming the field.

    >>> check_vertices(shapely.box(0, 0, 1, 1), "geometry").geom_type
    'Polygon'
    """
    count = int(shapely.get_num_coordinates(geom))
    if count > MAX_VERTICES:
        raise InvalidInput(field, f"has {count:,} vertices; at most {MAX_VERTICES:,}")
    return geom


def _position(value: Any, where: str, field: str) -> None:
    """Refuse anything but ``[lon, lat]`` of two finite numbers; ``where`` names it."""
    if not isinstance(value, list | tuple):
        raise InvalidInput(field, f"{where} is not a [lon, lat] position")
    if len(value) != 2:
        raise InvalidInput(field, f"{where} has {len(value)} values; give [lon, lat] only")
    for number in value:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidInput(field, f"{where} holds a {type(number).__name__}, not a number")
        try:
            finite = math.isfinite(number)
        except OverflowError:  # an int past any float
            finite = False
        if not finite:
            raise InvalidInput(field, f"{where} holds a number that is not finite")


def _positions(value: Any, where: str, field: str, at_least: int) -> None:
    if not isinstance(value, list | tuple):
        raise InvalidInput(field, f"{where} is not a list of positions")
    for i, position in enumerate(value, 1):
        _position(position, f"{where} position {i}".lstrip(), field)
    if len(value) < at_least:
        raise InvalidInput(
            field, f"{where} has {len(value)} positions; at least {at_least}".lstrip()
        )


def _rings(value: Any, where: str, field: str) -> None:
    """A polygon's rings, numbered from 1 (the outer ring) in messages."""
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput(field, f"{where or 'the polygon'} has no rings".lstrip())
    for i, ring in enumerate(value, 1):
        name = f"{where} ring {i}".lstrip()
        _positions(ring, name, field, at_least=1)
        if tuple(ring[0]) != tuple(ring[-1]):
            raise InvalidInput(
                field, f"{name} is not closed: its last position must repeat its first"
            )
        if len(ring) < 4:
            raise InvalidInput(field, f"{name} has {len(ring)} positions; a ring needs at least 4")


def _check_coordinates(kind: str, coordinates: Any, field: str) -> None:
    """Refuse what shapely would silently repair; see the module docstring."""
    if kind == "LineString":
        _positions(coordinates, "", field, at_least=2)
    elif kind == "Polygon":
        _rings(coordinates, "", field)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list | tuple) or not coordinates:
            raise InvalidInput(field, "has no polygons")
        for i, polygon in enumerate(coordinates, 1):
            _rings(polygon, f"polygon {i}", field)


def _geometry(obj: Any, field: str, types: tuple[str, ...]) -> BaseGeometry:
    if not isinstance(obj, dict) or "type" not in obj:
        raise InvalidInput(field, "expected a GeoJSON geometry object with a type")
    if obj["type"] not in types:
        raise InvalidInput(field, f"expected a {' or '.join(types)}, got {obj['type']}")
    _check_coordinates(obj["type"], obj.get("coordinates"), field)
    try:
        geom = shape(obj)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, GEOSException) as exc:
        raise InvalidInput(field, f"is not a valid GeoJSON {obj['type']}: {exc}") from None
    if geom.is_empty:
        raise InvalidInput(field, "is empty")
    return check_vertices(geom, field)


def _to_storage(geom: BaseGeometry, datum: Datum, field: str) -> BaseGeometry:
    xy = shapely.get_coordinates(geom)
    bad = ~np.isfinite(xy).all(axis=1) | (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(field, f"coordinate {i} ({xy[i, 0]}, {xy[i, 1]}) is not a lon/lat")
    if datum.obfuscated and not bool(np.all(in_china(xy[:, 0], xy[:, 1]))):
        raise InvalidInput(field, f"{datum.value} is only defined inside China")

    def convert(points: np.ndarray) -> np.ndarray:
        lon, lat = to_storage(points[:, 0], points[:, 1], datum)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert)


def polygons_from_geojson(obj: Any, datum: str | None, field: str = "geometry") -> Any:
    """A GeoJSON Polygon or MultiPolygon in ``datum`` as a valid CGCS2000 MultiPolygon."""
    d = parse_datum(datum)
    geom = _to_storage(_geometry(obj, field, ("Polygon", "MultiPolygon")), d, field)
    if not geom.is_valid:
        raise InvalidInput(field, f"is not a valid polygon: {shapely.is_valid_reason(geom)}")
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return geom


def line_from_geojson(obj: Any, datum: str | None, field: str = "line") -> Any:
    """A GeoJSON LineString in ``datum`` as a CGCS2000 LineString."""
    d = parse_datum(datum)
    line = _to_storage(_geometry(obj, field, ("LineString",)), d, field)
    if line.length == 0:
        raise InvalidInput(field, "has no length")
    return line
