"""Points and boxes from outside: validated, then converted to the storage datum.

Every check names the field at fault, so the API can answer 422 with it.

Examples
--------
>>> p = parse_point(110.046, 40.401, "gcj02")
>>> round(p.lon, 4), round(p.lat, 4)
(110.04, 40.3997)
>>> try:
...     parse_point(40.4, 80.0, "wgs84")
... except InvalidInput as e:
...     print(e.field, "swapped" in e.problem)
lon True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.datum import Datum, in_china, to_storage
from geo.errors import InvalidInput

DATUM_CHOICES = ", ".join(d.value for d in Datum)


@dataclass(frozen=True)
class StoragePoint:
    """A point converted to CGCS2000, remembering what the client sent."""

    lon: float
    lat: float
    datum: Datum
    raw_lon: float
    raw_lat: float


def parse_datum(value: str | None, field: str = "datum") -> Datum:
    """The datum named by ``value``; missing or unknown is an :class:`InvalidInput`."""
    if value is None or value == "":
        raise InvalidInput(
            field, f"is required: say which datum the coordinates are in ({DATUM_CHOICES})"
        )
    try:
        return Datum(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            field, f"unknown datum {value!r}; expected one of {DATUM_CHOICES}"
        ) from None


def _check_number(field: str, value: float, limit: float) -> None:
    if value is None or not math.isfinite(value):
        raise InvalidInput(field, f"must be a finite number, got {value!r}")
    if not -limit <= value <= limit:
        raise InvalidInput(field, f"{value} is out of range [-{limit:g}, {limit:g}]")


def parse_point(
    lon: float | None, lat: float | None, datum: str | None, *, prefix: str = ""
) -> StoragePoint:
    """Validate a lon/lat pair in a declared datum and convert it to CGCS2000.

    Refused: a missing or unknown datum, NaN or infinite values, values out of range, a point
    outside China that would be inside with the axes swapped, and a GCJ-02 or BD-09 point
    outside China (those datums are not defined there).
    """
    d = check_point(lon, lat, datum, prefix=prefix)
    assert lon is not None and lat is not None
    x, y = to_storage(lon, lat, d)
    return StoragePoint(lon=float(x), lat=float(y), datum=d, raw_lon=lon, raw_lat=lat)


def check_point(
    lon: float | None, lat: float | None, datum: str | None, *, prefix: str = ""
) -> Datum:
    """The checks of :func:`parse_point` without the conversion; returns the datum.

    For callers that validate many points one by one and then convert them as arrays with
    :func:`geo.datum.to_storage`.

    Examples
    --------
    >>> check_point(110.0, 40.4, "BD09").value
    'bd09'
    """
    d = parse_datum(datum, f"{prefix}datum")
    if lon is None:
        raise InvalidInput(f"{prefix}lon", "is required")
    if lat is None:
        raise InvalidInput(f"{prefix}lat", "is required")
    _check_number(f"{prefix}lon", lon, 180.0)
    _check_number(f"{prefix}lat", lat, 90.0)
    inside = in_china(lon, lat)
    if not inside and abs(lon) <= 90.0 and in_china(lat, lon):
        raise InvalidInput(
            f"{prefix}lon",
            f"({lon}, {lat}) is outside China but ({lat}, {lon}) is inside: lon and lat look "
            "swapped; send longitude (east) first",
        )
    if d.obfuscated and not inside:
        raise InvalidInput(
            f"{prefix}datum",
            f"{d.value} is only defined inside China and ({lon}, {lat}) is outside it; "
            "send wgs84 or cgcs2000",
        )
    return d


def parse_bbox(
    value: str, datum: str | None, field: str = "bbox"
) -> tuple[float, float, float, float]:
    """Parse ``"minlon,minlat,maxlon,maxlat"`` in ``datum`` into a CGCS2000 envelope.

    The four corners are converted and the envelope taken; GCJ-02's shift varies by well under a
    metre across a city-sized box, so this is exact enough for selecting features.
    """
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidInput(
            field, f"expected 4 comma-separated numbers minlon,minlat,maxlon,maxlat, got {value!r}"
        )
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(field, f"expected numbers, got {value!r}") from None
    for name, v, limit in (
        ("minlon", west, 180.0),
        ("minlat", south, 90.0),
        ("maxlon", east, 180.0),
        ("maxlat", north, 90.0),
    ):
        _check_number(f"{field}.{name}", v, limit)
    if west > east or south > north:
        raise InvalidInput(field, f"min must not exceed max in {value!r}")
    d = parse_datum(datum, "datum")
    xs, ys = to_storage([west, east, west, east], [south, south, north, north], d)
    return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))
