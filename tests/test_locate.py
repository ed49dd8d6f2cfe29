"""GET /api/v1/locate: interior points in every datum, shared edges, outside points, bad input.

Expected answers are computed with shapely from the committed sample files, independently of
the SQL the service runs.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import shapely
import shapely.ops
from pyproj import Geod, Transformer

from api.schemas import Error, Located
from geo.datum import convert

URL = "/api/v1/locate"


def _chain_codes(code: str) -> list[str]:
    return [code[:6], code[:9], code[:12], code[:14], code[:16]]


@pytest.fixture(scope="module")
def micro(sample_areas):
    return sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)


@pytest.fixture(scope="module")
def interior_points(micro):
    """Twenty micro-grids spread over the banner with a point well inside each."""
    picks = micro.iloc[np.linspace(0, len(micro) - 1, 20).astype(int)]
    points = shapely.point_on_surface(picks.geometry.values)
    return list(zip(picks["code"], shapely.get_x(points), shapely.get_y(points), strict=True))


@pytest.mark.parametrize("datum", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_interior_points_in_every_datum(client, interior_points, datum):
    for code, lon, lat in interior_points:
        x, y = convert(lon, lat, "cgcs2000", datum)
        response = client.get(URL, params={"lon": x, "lat": y, "datum": datum})
        assert response.status_code == 200, response.text
        body = Located.model_validate(response.json())
        assert [link.code for link in body.chain] == _chain_codes(code)
        assert [link.level for link in body.chain] == [
            "banner",
            "township",
            "village",
            "grid",
            "micro_grid",
        ]
        assert body.boundary_tie is False and body.tied_codes == []
        assert body.point.cgcs2000.lon == pytest.approx(lon, abs=1e-9)
        assert body.point.cgcs2000.lat == pytest.approx(lat, abs=1e-9)


def test_answer_names_the_responsible_people_with_masked_phones(client, interior_points, conn):
    from sqlalchemy import text

    code, lon, lat = interior_points[10]
    body = client.get(URL, params={"lon": lon, "lat": lat, "datum": "cgcs2000"}).json()
    expected_party = (
        conn.execute(
            text(
                "SELECT m.id FROM member m JOIN area a ON a.id = m.area_id "
                "WHERE a.code = :code AND m.kind = 'party_member' ORDER BY m.id"
            ),
            {"code": code},
        )
        .scalars()
        .all()
    )
    responsible = body["responsible"]
    assert [p["id"] for p in responsible["party_members"]] == expected_party
    worker = responsible["grid_worker"]
    assert worker is not None and worker["area_code"] == code[:14]
    phones = [
        p["phone"]
        for group in ("party_members", "instructors", "leaders")
        for p in responsible[group]
    ] + [worker["phone"]]
    for phone in phones:
        assert phone[3:7] == "****" and len(phone) == 11, phone


def _shared_vertex(micro, wanted: int):
    """A vertex shared by exactly ``wanted`` micro-grids, and the codes covering it."""
    coords = shapely.get_coordinates(micro.geometry.values)
    counts = Counter(map(tuple, coords))
    tree = shapely.STRtree(micro.geometry.values)
    for xy, _ in counts.most_common():
        point = shapely.Point(xy)
        hits = tree.query(point, predicate="intersects")
        if len(hits) == wanted:
            return xy, sorted(micro["code"].iloc[hits])
    raise AssertionError(f"no vertex shared by {wanted} micro-grids")


@pytest.mark.parametrize("wanted", [2, 3])
def test_a_point_on_a_shared_edge_goes_to_the_lowest_code(client, micro, wanted):
    (lon, lat), codes = _shared_vertex(micro, wanted)
    response = client.get(URL, params={"lon": lon, "lat": lat, "datum": "cgcs2000"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["boundary_tie"] is True
    assert body["tied_codes"] == codes
    assert body["chain"][-1]["code"] == codes[0]


def _expected_nearest(micro, lon: float, lat: float) -> tuple[str, float]:
    """Nearest micro-grid and geodesic distance, via a Gauss-Kruger projection and pyproj.Geod."""
    to_gk = Transformer.from_crs(4490, 4546, always_xy=True)
    to_geo = Transformer.from_crs(4546, 4490, always_xy=True)
    projected = micro.to_crs(4546)
    point = shapely.Point(*to_gk.transform(lon, lat))
    distances = projected.distance(point)
    best = int(distances.idxmin())
    on_edge = shapely.ops.nearest_points(projected.geometry.iloc[best], point)[0]
    elon, elat = to_geo.transform(on_edge.x, on_edge.y)
    _, _, metres = Geod(ellps="GRS80").inv(lon, lat, elon, elat)
    return micro["code"].iloc[best], metres


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(110.0, 40.75), (108.2, 40.0), (111.8, 39.2)],
    ids=["north-of-the-yellow-river", "west", "south-east"],
)
def test_outside_points_get_404_naming_the_nearest_micro_grid(client, micro, lon, lat):
    banner = shapely.union_all(micro.geometry.values)
    assert not banner.covers(shapely.Point(lon, lat))
    code, metres = _expected_nearest(micro, lon, lat)
    response = client.get(URL, params={"lon": lon, "lat": lat, "datum": "wgs84"})
    assert response.status_code == 404
    body = response.json()
    assert body["nearest"]["code"] == code
    assert body["nearest"]["distance_m"] == pytest.approx(metres, rel=2e-3)
    assert code in body["detail"] and f"{body['nearest']['distance_m']:.0f} m" in body["detail"]


BAD = [
    ({"lon": 110.0, "lat": 40.4}, "datum", "is required"),
    ({"lon": 110.0, "lat": 40.4, "datum": "beijing54"}, "datum", "unknown datum"),
    ({"lon": 181, "lat": 40.4, "datum": "wgs84"}, "lon", "out of range"),
    ({"lon": 110.0, "lat": -91, "datum": "wgs84"}, "lat", "out of range"),
    ({"lon": "nan", "lat": 40.4, "datum": "wgs84"}, "lon", "finite"),
    ({"lon": 110.0, "lat": "inf", "datum": "gcj02"}, "lat", "finite"),
    ({"lon": "east", "lat": 40.4, "datum": "wgs84"}, "lon", "number"),
    ({"lat": 40.4, "datum": "wgs84"}, "lon", "is required"),
    ({"lon": 110.0, "datum": "wgs84"}, "lat", "is required"),
    ({"lon": 40.4, "lat": 80.0, "datum": "wgs84"}, "lon", "swapped"),
    ({"lon": 2.35, "lat": 48.85, "datum": "gcj02"}, "datum", "only defined inside China"),
    ({"lon": 110.0, "lat": 40.4, "datum": "wgs84", "generation": 99}, "generation", "not exist"),
]


@pytest.mark.parametrize(("params", "field", "words"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_input_is_a_422_naming_the_field(client, params, field, words):
    response = client.get(URL, params=params)
    assert response.status_code == 422, response.text
    body = Error.model_validate(response.json())
    assert [e.field for e in body.errors] == [field]
    assert words in body.errors[0].message
    assert field in body.detail


def test_a_wgs84_point_far_outside_is_404_not_500(client):
    response = client.get(URL, params={"lon": 2.35, "lat": 48.85, "datum": "wgs84"})
    assert response.status_code == 404
    assert response.json()["nearest"]["distance_m"] > 6_000_000
