"""Datum conversions: published reference values, round trips, and the outside-China rule."""

from __future__ import annotations

import numpy as np
import pytest

from geo.datum import (
    Datum,
    bd09_to_gcj02,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_gcj02,
)

# Published forward values (wandergis/coordtransform test/app.js; googollee/eviltransform tests).
FORWARD_GCJ = [
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
]


@pytest.mark.parametrize(("wgs", "gcj"), FORWARD_GCJ)
def test_wgs84_to_gcj02_matches_published_values(wgs, gcj):
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-12)


def test_gcj02_to_bd09_matches_published_value():
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )


def test_bd09_inverse_beats_the_closed_form_approximation():
    # coordtransform's closed-form bd09togcj02(116.404, 39.915); ours iterates to 1e-10 degrees.
    approx = (116.39762729119315, 39.90865673957631)
    exact = bd09_to_gcj02(116.404, 39.915)
    assert exact == pytest.approx(approx, abs=2e-5)
    assert gcj02_to_bd09(*exact) == pytest.approx((116.404, 39.915), abs=1e-10)


def _metres(lon0, lat0, lon1, lat1):
    return np.hypot((lon1 - lon0) * 111_320.0 * np.cos(np.radians(lat0)), (lat1 - lat0) * 110_574.0)


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_round_trip_of_20000_points_in_china_is_under_a_centimetre(datum):
    rng = np.random.default_rng(20261129)
    lon = rng.uniform(73.6, 134.7, 20_000)
    lat = rng.uniform(18.2, 53.5, 20_000)
    shifted = convert(lon, lat, "wgs84", datum)
    # the shift itself is real: hundreds of metres
    assert np.median(_metres(lon, lat, *shifted)) > 100
    back_lon, back_lat = convert(*shifted, datum, "wgs84")
    error = _metres(lon, lat, back_lon, back_lat)
    assert np.percentile(error, 99) < 0.01
    assert error.max() < 0.01


def test_points_outside_china_are_not_shifted_by_gcj02():
    lon = np.array([2.35, -74.0, 139.69, 151.2, 100.5])
    lat = np.array([48.85, 40.7, 35.69, -33.87, 60.0])
    assert not np.any(in_china(lon, lat))
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert np.array_equal(g_lon, lon) and np.array_equal(g_lat, lat)
    w_lon, w_lat = gcj02_to_wgs84(lon, lat)
    assert np.array_equal(w_lon, lon) and np.array_equal(w_lat, lat)


def test_cgcs2000_equals_wgs84_and_identity_is_exact():
    assert convert(110.04, 40.4, "wgs84", "cgcs2000") == (110.04, 40.4)
    assert convert(110.04, 40.4, Datum.GCJ02, Datum.GCJ02) == (110.04, 40.4)


def test_unknown_datum_is_refused():
    with pytest.raises(ValueError):
        convert(110.0, 40.0, "wgs84", "beijing54")
