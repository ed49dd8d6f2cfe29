"""GET /tiles/{layer}/{z}/{x}/{y}.pbf: Mapbox Vector Tiles from ST_AsMVT."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text

from cases.models import CLOSED_STATUSES
from geo.tiles import MEDIA_TYPE

#: Tiles over the banner seat (树林召镇, 110.04E 40.40N) at three zooms.
SEAT = {13: (6600, 3089), 12: (3300, 1544), 10: (825, 386)}
AREA_KEYS = {"code", "name", "level", "parent_code"}


@pytest.fixture(scope="module")
def client(client, auth, privacy_scan):
    """The session's app, signed in as Dalad's command centre: the expected areas are Dalad's
    files (the admin's low-zoom tiles hold the second place, Haibowan, as well)."""
    dalad = TestClient(client.app, raise_server_exceptions=False, headers=auth("command"))
    dalad.event_hooks = {"request": [], "response": [privacy_scan.response]}
    return dalad


def _envelope(z: int, x: int, y: int) -> shapely.Polygon:
    """The tile's extent in lon/lat (the XYZ scheme, rows from the north)."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return shapely.box(x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y))


def _get(client, layer: str, z: int, x: int, y: int, **params):
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", params=params)


def _features(response, layer: str) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    decoded = mapbox_vector_tile.decode(response.content)
    assert list(decoded) == [layer]
    return decoded[layer]["features"]


@pytest.mark.parametrize(
    ("layer", "z"), [("micro_grid", 13), ("micro_grid", 12), ("grid", 12), ("village", 10)]
)
def test_tile_holds_exactly_the_areas_meeting_its_envelope(client, sample_areas, layer, z):
    x, y = SEAT[z]
    features = _features(_get(client, layer, z, x, y), layer)
    areas = sample_areas[layer]
    expected = set(areas.loc[areas.intersects(_envelope(z, x, y)), "code"])
    codes = [f["properties"]["code"] for f in features]
    assert len(codes) == len(set(codes))
    assert set(codes) == expected
    assert len(expected) > (100 if layer == "micro_grid" and z == 13 else 5)


def test_area_attributes_are_the_public_ones_only(client, sample_areas):
    x, y = SEAT[13]
    features = _features(_get(client, "micro_grid", 13, x, y), "micro_grid")
    names = sample_areas["micro_grid"].set_index("code")["name"]
    for feature in features:
        props = feature["properties"]
        assert set(props) == AREA_KEYS
        assert props["level"] == "micro_grid"
        assert props["parent_code"] == props["code"][:-2]
        assert props["name"] == names[props["code"]]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_township_tile_at_low_zoom(client, sample_areas):
    features = _features(_get(client, "township", 6, 51, 24), "township")
    assert sorted(f["properties"]["code"] for f in features) == sorted(
        sample_areas["township"]["code"]
    )
    assert all(f["properties"]["parent_code"] == "150621" for f in features)


def test_headers_and_empty_tiles(client):
    x, y = SEAT[13]
    areas = _get(client, "micro_grid", 13, x, y)
    assert areas.headers["cache-control"] == "private, max-age=3600"  # a tile depends on who asks
    assert areas.headers["vary"] == "Authorization, Cookie"
    counts = _get(client, "incidents", 13, x, y)
    assert counts.headers["cache-control"] == "private, max-age=60"
    for z, x, y in [(13, 0, 0), (10, 1000, 200), (4, 15, 15)]:  # Arctic, Pacific, far south-east
        empty = _get(client, "micro_grid", z, x, y)
        assert empty.status_code == 204 and empty.content == b""
        assert empty.headers["cache-control"] == "private, max-age=3600"


def _sql_counts(conn, codes: list[str], category: str | None, since: str | None):
    rows = conn.execute(
        text(
            "SELECT a.code, count(*) AS total, "
            "count(*) FILTER (WHERE NOT (i.status = ANY(:closed))) AS open "
            "FROM incident i JOIN area a ON a.id = i.micro_grid_id "
            "WHERE a.code = ANY(:codes) "
            "AND (CAST(:category AS text) IS NULL OR i.category_code LIKE :category || '%') "
            "AND (CAST(:since AS timestamptz) IS NULL "
            "     OR i.reported_at >= CAST(:since AS timestamptz)) "
            "GROUP BY a.code"
        ),
        {
            "closed": [s.value for s in CLOSED_STATUSES],
            "codes": codes,
            "category": category,
            "since": since,
        },
    )
    return {r.code: {"open_count": r.open, "total_count": r.total} for r in rows}


@pytest.mark.parametrize(
    ("category", "since"), [(None, None), ("01", None), ("0103", "2024-01-01T00:00:00+08:00")]
)
def test_incident_counts_equal_sql_counts(client, engine, sample_areas, category, since):
    x, y = SEAT[12]
    params = {k: v for k, v in (("category", category), ("since", since)) if v}
    features = _features(_get(client, "incidents", 12, x, y, **params), "incidents")
    served = {f["properties"]["code"]: f["properties"] for f in features}
    assert all(set(p) == {"code", "open_count", "total_count"} for p in served.values())
    areas = sample_areas["micro_grid"]
    in_tile = list(areas.loc[areas.intersects(_envelope(12, x, y)), "code"])
    with engine.connect() as conn:
        expected = _sql_counts(conn, in_tile, category, since)
    assert {
        code: {k: p[k] for k in ("open_count", "total_count")} for code, p in served.items()
    } == (expected)
    assert len(expected) > 10
    assert sum(p["open_count"] for p in served.values()) < sum(
        p["total_count"] for p in served.values()
    )


def test_unknown_layer_is_404_listing_the_layers(client):
    response = _get(client, "members", 12, 3300, 1544)
    assert response.status_code == 404
    detail = response.json()["detail"]
    for layer in ("township", "village", "grid", "micro_grid", "incidents"):
        assert layer in detail


@pytest.mark.parametrize(
    ("z", "x", "y", "field"),
    [
        (23, 0, 0, "z"),
        (-1, 0, 0, "z"),
        (3, 8, 0, "x"),
        (3, 0, 8, "y"),
        (12, 3300, -1, "y"),
        (0, 1, 0, "x"),
    ],
)
def test_tile_numbers_out_of_range_are_422_naming_the_field(client, z, x, y, field):
    response = _get(client, "grid", z, x, y)
    assert response.status_code == 422
    assert [(e["where"], e["field"]) for e in response.json()["errors"]] == [("path", field)]


def test_bad_parameters_are_422(client):
    x, y = SEAT[12]
    cases = [
        ("grid", "abc", {}, "y"),
        ("incidents", y, {"category": "1"}, "category"),
        ("incidents", y, {"since": "2024-01-01T00:00:00"}, "since"),
        ("incidents", y, {"since": "yesterday"}, "since"),
        ("grid", y, {"generation": "999"}, "generation"),
    ]
    for layer, row, params, field in cases:
        response = client.get(f"/tiles/{layer}/12/{x}/{row}.pbf", params=params)
        assert response.status_code == 422, (layer, params)
        assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("z", "layers"),
    [
        (13, ["micro_grid", "grid", "village", "township"]),
        (12, ["grid", "village", "township"]),
        (10, ["village", "township"]),
    ],
)
def test_combined_area_tile_is_the_per_level_tiles_in_one(client, sample_areas, z, layers):
    x, y = SEAT[z]
    response = client.get(f"/tiles/areas/{z}/{x}/{y}.pbf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["cache-control"] == "private, max-age=3600"
    decoded = mapbox_vector_tile.decode(response.content)
    assert list(decoded) == layers
    envelope = _envelope(z, x, y)
    for layer in layers:
        areas = sample_areas[layer]
        expected = set(areas.loc[areas.intersects(envelope), "code"])
        assert {f["properties"]["code"] for f in decoded[layer]["features"]} == expected, layer
        single = _features(_get(client, layer, z, x, y), layer)
        assert len(decoded[layer]["features"]) == len(single)
    # the bytes are exactly the per-level tiles, concatenated innermost first
    parts = [_get(client, layer, z, x, y).content for layer in layers]
    assert response.content == b"".join(parts)


def test_combined_area_tile_refuses_bad_numbers_and_is_empty_far_away(client):
    response = client.get("/tiles/areas/3/8/0.pbf")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "x"
    assert client.get("/tiles/areas/13/0/0.pbf").status_code == 204
