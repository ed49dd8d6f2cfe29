"""Conversion between the four datums Chinese clients speak.

``wgs84``    GPS, OpenStreetMap.
``cgcs2000`` China's legal datum, EPSG:4490, the storage datum. It differs from WGS-84 by
             well under a metre, so for points it is treated as equal (the same choice the
             national standards make for mapping at these scales).
``gcj02``    the obfuscated datum of AMap, Tencent and WeChat maps (offset of ~100-700 m).
``bd09``     Baidu's further offset applied on top of GCJ-02.

The forward GCJ-02 shift is the published closed form; its inverse has no closed form, so
:func:`gcj02_to_wgs84` iterates a fixed-point correction until the residual is below
1e-10 degrees (~1 cm is 9e-8 degrees). Points outside China are not shifted, as the GCJ-02
rule says; the test for "in China" is the rule's own rectangle.

All functions take scalars or numpy arrays and return the same shape.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(110.04, 40.40)
>>> round(float(lon), 6), round(float(lat), 6)
(110.045974, 40.401252)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(float(back[0]), 9), round(float(back[1]), 9)
(110.04, 40.4)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Datum",
    "bd09_to_gcj02",
    "convert",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "to_storage",
    "wgs84_to_gcj02",
]

Floats = NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_PI = np.pi * 3000.0 / 180.0

#: The GCJ-02 rule's rectangle for "inside China"; outside it nothing is shifted.
CHINA_BOUNDS = (72.004, 0.8293, 137.8347, 55.8271)

_INVERSE_TOLERANCE = 1e-10
_INVERSE_MAX_ITER = 30


class Datum(StrEnum):
    """A horizontal datum an input may declare."""

    WGS84 = "wgs84"
    CGCS2000 = "cgcs2000"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    @property
    def obfuscated(self) -> bool:
        """True for the datums defined only inside China (GCJ-02 and BD-09)."""
        return self in (Datum.GCJ02, Datum.BD09)


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _out(lon: Floats, lat: Floats) -> tuple[Any, Any]:
    if lon.ndim == 0:
        return float(lon), float(lat)
    return lon, lat


def in_china(lon: ArrayLike, lat: ArrayLike) -> Any:
    """Whether points fall inside the GCJ-02 rule's rectangle for China."""
    x, y = _arrays(lon, lat)
    west, south, east, north = CHINA_BOUNDS
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return bool(inside) if inside.ndim == 0 else inside


def _gcj_delta(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """The GCJ-02 offset (degrees) at a WGS-84 point, before the in-China test."""
    x = lon - 105.0
    y = lat - 35.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Shift WGS-84 points to GCJ-02; points outside China come back unchanged."""
    x, y = _arrays(lon, lat)
    d_lon, d_lat = _gcj_delta(x, y)
    inside = np.asarray(in_china(x, y))
    return _out(np.where(inside, x + d_lon, x), np.where(inside, y + d_lat, y))


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (residual < 1e-10 degrees).

    The forward shift's Jacobian is within 1e-4 of the identity, so subtracting the residual
    each round converges geometrically; two or three rounds reach the tolerance.
    """
    gx, gy = _arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = _arrays(*wgs84_to_gcj02(wx, wy))
        rx, ry = fx - gx, fy - gy
        wx, wy = wx - rx, wy - ry
        if np.all(np.abs(rx) < _INVERSE_TOLERANCE) and np.all(np.abs(ry) < _INVERSE_TOLERANCE):
            break
    return _out(wx, wy)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Baidu's BD-09 from GCJ-02 (closed form)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Invert :func:`gcj02_to_bd09` by fixed-point iteration (residual < 1e-10 degrees).

    The usual closed-form "inverse" is only an approximation with errors of up to a metre;
    iterating on the forward formula brings it to the tolerance.
    """
    bx, by = _arrays(lon, lat)
    gx, gy = bx - 0.0065, by - 0.006
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = _arrays(*gcj02_to_bd09(gx, gy))
        rx, ry = fx - bx, fy - by
        gx, gy = gx - rx, gy - ry
        if np.all(np.abs(rx) < _INVERSE_TOLERANCE) and np.all(np.abs(ry) < _INVERSE_TOLERANCE):
            break
    return _out(gx, gy)


def _to_wgs84(lon: ArrayLike, lat: ArrayLike, source: Datum) -> tuple[Any, Any]:
    if source is Datum.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if source is Datum.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    x, y = _arrays(lon, lat)
    return _out(x, y)


def _from_wgs84(lon: ArrayLike, lat: ArrayLike, target: Datum) -> tuple[Any, Any]:
    if target is Datum.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if target is Datum.BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    x, y = _arrays(lon, lat)
    return _out(x, y)


def convert(
    lon: ArrayLike, lat: ArrayLike, source: Datum | str, target: Datum | str
) -> tuple[Any, Any]:
    """Convert points from one datum to another.

    BD-09 is only defined on top of GCJ-02 inside China; outside China's rectangle GCJ-02 is
    WGS-84 and BD-09's closed form is still applied, as Baidu's own converter does.

    Examples
    --------
    >>> lon, lat = convert(110.04, 40.40, "wgs84", "bd09")
    >>> back = convert(lon, lat, "bd09", "cgcs2000")
    >>> abs(back[0] - 110.04) < 1e-9 and abs(back[1] - 40.40) < 1e-9
    True
    """
    src, dst = Datum(source), Datum(target)
    if src is dst:
        x, y = _arrays(lon, lat)
        return _out(x, y)
    return _from_wgs84(*_to_wgs84(lon, lat, src), dst)


def to_storage(lon: ArrayLike, lat: ArrayLike, source: Datum | str) -> tuple[Any, Any]:
    """Convert points in ``source`` datum to the storage datum, CGCS2000 (EPSG:4490)."""
    return convert(lon, lat, source, Datum.CGCS2000)
