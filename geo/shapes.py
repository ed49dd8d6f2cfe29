"""Geometries from outside: GeoJSON in a declared datum, validated, converted to CGCS2000.

The counterpart of :mod:`geo.points` for lines and polygons. Every refusal names the field and
says what was wrong (which type, which coordinate, which self-intersection).

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
"""

from __future__ import annotations

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


def _geometry(obj: Any, field: str, types: tuple[str, ...]) -> BaseGeometry:
    if not isinstance(obj, dict) or "type" not in obj:
        raise InvalidInput(field, "expected a GeoJSON geometry object with a type")
    if obj["type"] not in types:
        raise InvalidInput(field, f"expected a {' or '.join(types)}, got {obj['type']}")
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
