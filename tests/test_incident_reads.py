"""GET /api/v1/incidents (filters, cursor paging, GeoJSON), one incident's trail, my cases,
and the routing matrix."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely

from api.schemas import Incident


def inside_points(polygon, n, seed=7):
    """``n`` distinct random points strictly inside ``polygon`` (deterministic)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = polygon.bounds
    xy = rng.uniform((minx, miny), (maxx, maxy), size=(n * 50, 2))
    inside = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
    assert len(inside) >= n
    return inside[:n]


def _post(client, lon, lat, category, **extra):
    payload = {"lon": lon, "lat": lat, "datum": "cgcs2000", "category": category, **extra}
    response = client.post(
        "/api/v1/incidents", json=payload, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def created(client, sample_areas):
    """Five incidents in one micro-grid (4 disputes, 1 sanitation) and one elsewhere."""
    micro = sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)
    home, away = micro.iloc[5555], micro.iloc[111]
    points = inside_points(home.geometry, 5)
    categories = ["0101", "0102", "0101", "0110", "0401"]
    incidents = [
        _post(client, float(x), float(y), c) for (x, y), c in zip(points, categories, strict=True)
    ]
    far = shapely.point_on_surface(away.geometry)
    other = _post(client, far.x, far.y, "0101")
    return {"home": home["code"], "away": away["code"], "incidents": incidents, "other": other}


def _codes(client, **params):
    body = client.get("/api/v1/incidents", params={"limit": 500, **params}).json()
    return [item["code"] for item in body["items"]]


def test_area_filter_at_every_level(client, created):
    mine = {i["code"] for i in created["incidents"]}
    home = created["home"]
    assert set(_codes(client, area=home)) == mine
    for prefix in (home[:14], home[:12], home[:9]):
        found = set(_codes(client, area=prefix))
        assert mine <= found
        assert (created["other"]["code"] in found) == created["away"].startswith(prefix)


def test_category_major_and_minor_filters(client, created):
    home = created["home"]
    by_category = {i["code"]: i["category"]["code"] for i in created["incidents"]}
    assert set(_codes(client, area=home, category="01")) == {
        c for c, cat in by_category.items() if cat.startswith("01")
    }
    assert set(_codes(client, area=home, category="0101")) == {
        c for c, cat in by_category.items() if cat == "0101"
    }
    assert set(_codes(client, area=home, category="04")) == {
        c for c, cat in by_category.items() if cat == "0401"
    }


def test_status_member_department_and_time_filters(client, created):
    home = created["home"]
    mine = {i["code"] for i in created["incidents"]}
    member = created["incidents"][0]["responsible"]["member"]["id"]
    assert set(_codes(client, area=home, status="reported")) == mine
    assert _codes(client, area=home, status="closed,evaluated") == []
    assert mine <= set(_codes(client, member=member))
    assert set(_codes(client, area=home, department="D02")) == {
        i["code"] for i in created["incidents"] if i["responsible"]["department"]["code"] == "D02"
    }
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _codes(client, area=home, **{"from": later}) == []
    assert set(_codes(client, area=home, to=later)) == mine


def test_cursor_paging_is_stable_while_new_incidents_arrive(client, created, sample_areas):
    home = created["home"]
    first = client.get("/api/v1/incidents", params={"area": home, "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    newcomer = _post(client, *created["incidents"][0]["location"]["cgcs2000"].values(), "0101")
    seen = [i["code"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(
            "/api/v1/incidents", params={"area": home, "limit": 2, "cursor": cursor}
        ).json()
        seen += [i["code"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(i["code"] for i in created["incidents"])
    assert newcomer["code"] not in seen  # newer than the cursor: it belongs to a fresh first page
    assert len(seen) == len(set(seen))


def test_geojson_format(client, created):
    response = client.get(
        "/api/v1/incidents", params={"area": created["home"], "format": "geojson"}
    )
    body = response.json()
    assert response.headers["content-type"] == "application/geo+json"
    assert body["type"] == "FeatureCollection"
    feature = next(f for f in body["features"] if f["id"] == created["incidents"][0]["code"])
    assert feature["geometry"]["coordinates"] == [
        created["incidents"][0]["location"]["cgcs2000"]["lon"],
        created["incidents"][0]["location"]["cgcs2000"]["lat"],
    ]


def test_one_incident_with_its_trail(client, created):
    incident = created["incidents"][1]
    response = client.get(f"/api/v1/incidents/{incident['code']}")
    assert response.status_code == 200
    body = Incident.model_validate(response.json())
    assert [e["kind"] for e in body.events] == ["reported"]
    event = body.events[0]
    assert event["to_status"] == "reported"
    assert event["to_area"] == created["home"]
    assert event["to_department"] == incident["responsible"]["department"]["code"]
    assert event["data"]["assignment"] == "covered"
    assert client.get("/api/v1/incidents/DLT-1999-000001").status_code == 404


def test_my_cases(client, created):
    member = created["incidents"][0]["responsible"]["member"]["id"]
    body = client.get(f"/api/v1/members/{member}/incidents").json()
    assert {i["code"] for i in created["incidents"]} <= {i["code"] for i in body["items"]}
    assert all(i["responsible"]["member"]["id"] == member for i in body["items"])
    assert client.get("/api/v1/members/99999999/incidents").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"category": "abc"}, "category"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ({"from": "2025-01-02T00:00:00+08:00", "to": "2025-01-01T00:00:00+08:00"}, "from"),
        ({"limit": 501}, "limit"),
        ({"bbox": "110,40,111,41"}, "datum"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_filters_are_422(client, params, field):
    response = client.get("/api/v1/incidents", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_routing_matrix_is_readable_and_editable(client, sample_areas, engine):
    matrix = {row["category_code"]: row for row in client.get("/api/v1/routing").json()}
    assert len(matrix) == 46
    assert matrix["0103"]["department"]["code"] == "D05"
    overrides = matrix["0103"]["overrides"]
    assert [o for o in overrides if o["township_code"].startswith("150621")] == [
        {
            "township_code": "150621008",
            "department_code": "D14",
            "department_name": "达拉特旗农牧局",
        }
    ]
    # Haibowan's townships route to the district's own departments (H…), never to Dalad's
    haibowan = [o for o in overrides if o["township_code"].startswith("150302")]
    assert len(haibowan) == 5 and all(o["department_code"].startswith("H") for o in haibowan)
    micro = sample_areas["micro_grid"]
    inside = micro[micro["code"].str.startswith("150621002")].iloc[0].geometry
    point = shapely.point_on_surface(inside)
    assert (
        client.put(
            "/api/v1/routing/0606/townships/150621002", json={"department_code": "D08"}
        ).status_code
        == 204
    )
    try:
        routed = _post(client, point.x, point.y, "0606")
        assert routed["responsible"]["department"]["code"] == "D08"
    finally:
        assert client.delete("/api/v1/routing/0606/townships/150621002").status_code == 204
    assert _post(client, point.x, point.y, "0606")["responsible"]["department"]["code"] == "D16"
    bad = client.put("/api/v1/routing/0606", json={"department_code": "D99"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "department_code"
    bad = client.put("/api/v1/routing/0606/townships/150621999", json={"department_code": "D08"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "township_code"
    assert client.delete("/api/v1/routing/0606/townships/150621002").status_code == 404
    categories = client.get("/api/v1/categories").json()
    assert [c["code"] for c in categories if c["major_code"] is None] == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
    ]
