"""Draft plans on the shared session database: copies, edits, versions, topology, repairs.

Nothing here publishes (a publication changes the current generation for every other test);
publishing is tested on a scratch database in ``test_plan_publish.py``.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import text

from api.plan_schemas import (
    PlanFeatureCollection,
    PlanListed,
    PlanSummary,
    RepairsApplied,
    UploadResult,
)
from api.schemas import Feature

VILLAGE = "150621001001"


def _create(client, scope=VILLAGE):
    response = client.post("/api/v1/plans", json={"scope_code": scope, "description": "测试"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def plan(client):
    plan_id = _create(client)
    yield plan_id
    client.delete(f"/api/v1/plans/{plan_id}")


def _micro(client, plan_id):
    body = client.get(f"/api/v1/plans/{plan_id}/areas", params={"level": "micro_grid"}).json()
    return {f["id"]: f for f in body["features"]}


def _neighbours(micro):
    """Two micro-grids of one grid that share an edge."""
    for a, fa in micro.items():
        ga = shape(fa["geometry"])
        for b, fb in micro.items():
            if a < b and a[:14] == b[:14] and ga.intersection(shape(fb["geometry"])).length > 0:
                return a, b
    raise AssertionError("no neighbours")


def test_a_draft_copies_the_scope_with_versions(client, engine, plan):
    response = client.get(f"/api/v1/plans/{plan}")
    summary = PlanSummary.model_validate(response.json())
    assert response.headers["etag"] == '"1"'
    with engine.connect() as conn:
        expected = dict(
            conn.execute(
                text(
                    "SELECT level, count(*) FROM area WHERE code LIKE :p AND code <> :c "
                    "AND generation_high IS NULL GROUP BY level"
                ),
                {"p": VILLAGE + "%", "c": VILLAGE},
            ).all()
        )
    assert {k: v.unchanged for k, v in summary.levels.items()} == expected
    assert summary.status == "draft" and not summary.stale and summary.base_generation == 1
    body = client.get(f"/api/v1/plans/{plan}/areas").json()
    PlanFeatureCollection.model_validate(body)
    assert len(body["features"]) == sum(expected.values())
    assert {f["properties"]["version"] for f in body["features"]} == {1}
    assert {f["properties"]["status"] for f in body["features"]} == {"unchanged"}


def test_scope_must_be_a_township_village_or_grid(client):
    micro = VILLAGE + "0101"
    for scope, status in ((micro, 422), ("150621", 422), ("999", 422)):
        response = client.post("/api/v1/plans", json={"scope_code": scope})
        assert response.status_code == status, response.text
        assert response.json()["errors"][0]["field"] == "scope_code"


def test_an_edit_needs_the_version_and_answers_with_the_next(client, plan):
    micro = _micro(client, plan)
    ref = sorted(micro)[0]
    url = f"/api/v1/plans/{plan}/areas/{ref}"
    body = {"geometry": micro[ref]["geometry"], "datum": "cgcs2000", "name": "改名"}
    missing = client.put(url, json=body)
    assert missing.status_code == 428, missing.text
    assert missing.json()["errors"][0] == {
        "where": "header",
        "field": "If-Match",
        "message": missing.json()["errors"][0]["message"],
    }
    saved = client.put(url, json=body, headers={"If-Match": '"1"'})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"2"'
    Feature.model_validate(saved.json())
    assert saved.json()["properties"]["status"] == "changed"  # renamed: a new code at publish
    stale = client.put(url, json={**body, "version": 1})  # QGIS: the version in the body
    assert stale.status_code == 412 and stale.json()["version"] == 2
    again = client.put(url, json={**body, "version": 2})
    assert again.status_code == 200 and again.headers["etag"] == '"3"'
    assert client.put(url, json=body, headers={"If-Match": '"3"'}).status_code == 200
    disagree = client.put(url, json={**body, "version": 3}, headers={"If-Match": '"4"'})
    assert disagree.status_code == 422
    assert client.get(f"/api/v1/plans/{plan}").headers["etag"] == '"4"'


def test_fifty_concurrent_saves_with_one_version_one_wins(live_server, admin_headers, client, plan):
    micro = _micro(client, plan)
    ref = sorted(micro)[1]
    url = f"{live_server}/api/v1/plans/{plan}/areas/{ref}"
    body = {"geometry": micro[ref]["geometry"], "datum": "cgcs2000"}
    barrier = threading.Barrier(50)

    def save(i: int) -> int:
        with httpx.Client(timeout=60, headers=admin_headers) as http:
            barrier.wait()
            return http.put(url, json={**body, "name": f"第{i}次"}, headers={"If-Match": '"1"'})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(save, range(50)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 49, statuses
    winner = next(r for r in responses if r.status_code == 200)
    feature = client.get(f"/api/v1/plans/{plan}/areas/{ref}").json()
    assert feature["properties"]["version"] == 2
    assert feature["properties"]["name"] == winner.json()["properties"]["name"]
    assert all(r.json()["version"] == 2 for r in responses if r.status_code == 412)


def test_split_merge_add_remove(client, plan):
    micro = _micro(client, plan)
    a, b = _neighbours(micro)
    geom = shape(micro[a]["geometry"]).geoms[0]
    xs = list(geom.exterior.coords)
    v1, v2 = xs[0], xs[2]
    d = (v2[0] - v1[0], v2[1] - v1[1])
    line = [
        (v1[0] - d[0] * 0.1, v1[1] - d[1] * 0.1),
        v1,
        v2,
        (v2[0] + d[0] * 0.1, v2[1] + d[1] * 0.1),
    ]
    url = f"/api/v1/plans/{plan}"
    split = client.post(
        f"{url}/areas/{a}/split",
        json={"line": {"type": "LineString", "coordinates": line}, "datum": "cgcs2000"},
        headers={"If-Match": '"1"'},
    )
    assert split.status_code == 200, split.text
    parts = {f["id"]: f for f in split.json()["features"]}
    new_ref = next(r for r in parts if r.startswith("new-"))
    assert set(parts) == {a, new_ref} and split.headers["etag"] == '"2"'
    pieces = [shape(f["geometry"]) for f in parts.values()]
    assert abs(sum(p.area for p in pieces) - geom.area) < 1e-12
    assert client.get(f"{url}/check").json()["features"] == []

    not_touching = client.post(f"{url}/merge", json={"refs": [new_ref, b], "versions": {}})
    assert not_touching.status_code == 428
    merged = client.post(
        f"{url}/merge", json={"refs": [b, new_ref], "versions": {b: 1, new_ref: 1}}
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == b and merged.headers["etag"] == '"2"'
    assert client.get(f"{url}/areas/{new_ref}").status_code == 404

    grid = micro[a]["properties"]["parent_ref"]
    _, south, east, _ = shape(client.get(f"{url}/areas/{grid}").json()["geometry"]).bounds
    square = shapely.box(east + 0.001, south, east + 0.002, south + 0.001)  # just outside it
    added = client.post(
        f"{url}/areas",
        json={"parent": grid, "name": "新微网格", "geometry": mapping(square), "datum": "wgs84"},
    )
    assert added.status_code == 201, added.text
    ref = added.json()["id"]
    assert added.headers["location"].endswith(f"/areas/{ref}")
    assert added.json()["properties"]["level"] == "micro_grid"
    problems = client.get(f"{url}/check").json()["features"]
    assert any(
        p["properties"]["kind"] == "not_covered" and ref in p["properties"]["codes"]
        for p in problems
    )
    assert client.delete(f"{url}/areas/{ref}").status_code == 428
    assert client.delete(f"{url}/areas/{ref}", params={"version": 1}).status_code == 204
    held = client.delete(f"{url}/areas/{grid}", params={"version": 1})
    assert held.status_code == 409 and held.json()["children"]
    assert client.get(f"{url}/check").json()["features"] == []
    summary = client.get(url).json()
    assert summary["levels"]["micro_grid"]["changed"] == 2  # a (smaller) and b (larger)
    assert summary["levels"]["micro_grid"]["retired"] == 2


def test_bad_geometry_and_line_say_what_is_wrong(client, plan):
    micro = _micro(client, plan)
    ref = sorted(micro)[0]
    url = f"/api/v1/plans/{plan}/areas/{ref}"
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[110, 40], [110.01, 40.01], [110.01, 40], [110, 40.01], [110, 40]]],
    }
    response = client.put(url, json={"geometry": bowtie, "datum": "wgs84", "version": 1})
    assert response.status_code == 422
    assert "Self-intersection" in response.json()["detail"]
    point = {"type": "Point", "coordinates": [110, 40]}
    response = client.put(url, json={"geometry": point, "datum": "wgs84", "version": 1})
    assert response.status_code == 422 and "Point" in response.json()["detail"]
    far = {"type": "LineString", "coordinates": [[100, 30], [100.1, 30.1]]}
    response = client.post(f"{url}/split", json={"line": far, "datum": "wgs84", "version": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "line"
    assert client.get(url).json()["properties"]["version"] == 1  # nothing was written


SQUARE = [[110.0, 40.0], [110.001, 40.0], [110.001, 40.001], [110.0, 40.001], [110.0, 40.0]]


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (
            {"type": "Polygon", "coordinates": [SQUARE[:-1]]},
            "ring 1 is not closed: its last position must repeat its first",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:-1]]]},
            "polygon 2 ring 1 is not closed: its last position must repeat its first",
        ),
        (
            {"type": "Polygon", "coordinates": [[[*p, 1000.0] for p in SQUARE]]},
            "ring 1 position 1 has 3 values; give [lon, lat] only",
        ),
        (
            {"type": "Polygon", "coordinates": [[[str(x), str(y)] for x, y in SQUARE]]},
            "ring 1 position 1 holds a str, not a number",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[False, False], [True, False], [True, True], [False, True], [False, False]]
                ],
            },
            "ring 1 position 1 holds a bool, not a number",
        ),
        (
            {"type": "Polygon", "coordinates": [[*SQUARE[:2], [110.0, 10**400], SQUARE[0]]]},
            # past bigint: refused on every route before the geometry is read (api/inputs.py)
            (
                "geometry.coordinates.0.2.1",
                "must be an integer from -9223372036854775808 to 9223372036854775807",
            ),
        ),
        (
            {"type": "Polygon", "coordinates": [[[x + 5.9, y] for x, y in SQUARE]]},
            # the east overshoot at the village's mid-latitude; test_the_far_figure_is_geodesic
            "reaches 497.4 km outside the scope 150621001001 of plan {plan}; at most 2 km",
        ),
    ],
    ids=["unclosed", "unclosed-second-polygon", "3d", "strings", "booleans", "huge", "far"],
)
def test_geometry_shapely_would_repair_is_refused_naming_the_reason(
    client, engine, plan, geometry, message
):
    micro = _micro(client, plan)
    ref = sorted(micro)[0]
    grid = micro[ref]["properties"]["parent_ref"]
    url = f"/api/v1/plans/{plan}"
    with engine.connect() as conn:
        before = conn.execute(
            text("SELECT count(*) FROM plan_area WHERE plan_id = :p"), {"p": plan}
        )
        areas = before.scalar_one()
    for method, path, body in (
        ("PUT", f"{url}/areas/{ref}", {"geometry": geometry, "datum": "wgs84", "version": 1}),
        (
            "POST",
            f"{url}/areas",
            {"parent": grid, "name": "新", "geometry": geometry, "datum": "wgs84"},
        ),
    ):
        response = client.request(method, path, json=body)
        assert response.status_code == 422, response.text
        field, text_ = message if isinstance(message, tuple) else ("geometry", message)
        assert response.json()["errors"] == [
            {"where": "body", "field": field, "message": text_.format(plan=plan)}
        ]
    assert client.get(f"{url}/areas/{ref}").json()["properties"]["version"] == 1
    with engine.connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM plan_area WHERE plan_id = :p"), {"p": plan})
        assert after.scalar_one() == areas


def test_the_far_figure_is_geodesic_to_a_percent(client):
    """Independent oracle for "497.4 km" above: pyproj's geodesic along the village's middle."""
    from pyproj import Geod

    village = shape(client.get(f"/api/v1/areas/{VILLAGE}").json()["geometry"])
    _, south, east, north = village.bounds
    middle = (south + north) / 2
    _, _, metres = Geod(ellps="GRS80").inv(east, middle, 110.001 + 5.9, middle)
    assert abs(metres / 1000 - 497.4) < 0.01 * 497.4


def test_split_refuses_a_3d_line(client, plan):
    ref = sorted(_micro(client, plan))[0]
    line = {"type": "LineString", "coordinates": [[110.0, 40.0, 5.0], [110.1, 40.1, 5.0]]}
    url = f"/api/v1/plans/{plan}/areas/{ref}"
    response = client.post(f"{url}/split", json={"line": line, "datum": "wgs84", "version": 1})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "where": "body",
            "field": "line",
            "message": "position 1 has 3 values; give [lon, lat] only",
        }
    ]
    assert client.get(url).json()["properties"]["version"] == 1


def test_a_shifted_vertex_is_found_and_the_offered_snap_repairs_it(client, plan):
    micro = _micro(client, plan)
    a, _ = _neighbours(micro)
    geom = shape(micro[a]["geometry"])
    moved = shapely.transform(geom, lambda xy: xy + 2e-6)  # ~0.2 m: edges no longer match
    url = f"/api/v1/plans/{plan}"
    put = client.put(
        f"{url}/areas/{a}", json={"geometry": mapping(moved), "datum": "cgcs2000", "version": 1}
    )
    assert put.status_code == 200
    problems = client.get(f"{url}/check").json()["features"]
    assert problems and all(a in p["properties"]["codes"] for p in problems)
    offered = client.get(f"{url}/repairs", params={"snap_tolerance_m": 1}).json()["features"]
    mine = [f for f in offered if f["properties"]["ref"] == a]
    assert mine and mine[0]["id"] == f"snap:{a}@2"
    stale = client.post(
        f"{url}/repairs/apply", json={"ids": [f"snap:{a}@1"], "snap_tolerance_m": 1}
    )
    assert stale.status_code == 409
    ids = [f["id"] for f in offered]
    applied = client.post(f"{url}/repairs/apply", json={"ids": ids, "snap_tolerance_m": 1})
    assert applied.status_code == 200, applied.text
    changed = RepairsApplied.model_validate(applied.json()).changed
    assert changed == sorted({f["properties"]["ref"] for f in offered}) and a in changed
    assert client.get(f"{url}/check").json()["features"] == []


def test_a_deleted_draft_is_gone(client):
    plan_id = _create(client)
    listed = client.get("/api/v1/plans", params={"status": "draft"}).json()
    assert plan_id in [PlanListed.model_validate(p).id for p in listed]
    assert client.get("/api/v1/plans", params={"status": "nope"}).status_code == 422
    assert client.delete(f"/api/v1/plans/{plan_id}").status_code == 204
    assert client.get(f"/api/v1/plans/{plan_id}").status_code == 404
    assert client.get(f"/api/v1/plans/{plan_id}/areas").status_code == 404


def test_at_picks_the_generation_of_the_day(client):
    ok = client.get("/api/v1/areas", params={"level": "township", "at": "2099-01-01T00:00"})
    # the admin's: Dalad's eight townships and Haibowan's five
    assert ok.status_code == 200 and ok.json()["numberMatched"] == 13
    before = client.get("/api/v1/areas", params={"level": "township", "at": "2000-01-01T00:00"})
    assert before.status_code == 404 and "2000-01-01" in before.json()["detail"]
    both = client.get("/api/v1/areas", params={"generation": 1, "at": "2099-01-01T00:00Z"})
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "at"


def test_an_uploaded_file_replaces_a_level(client, plan):
    micro = _micro(client, plan)
    a, b = _neighbours(micro)
    features = [
        {
            "type": "Feature",
            "properties": {"code": ref, "name": f["properties"]["name"]},
            "geometry": f["geometry"],
        }
        for ref, f in micro.items()
        if ref != b
    ]
    features.append(
        {
            "type": "Feature",
            "properties": {"code": "B2", "name": "重画的微网格"},
            "geometry": micro[b]["geometry"],
        }
    )
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    url = f"/api/v1/plans/{plan}/upload"
    files = {"file": ("micro.geojson", data, "application/geo+json")}
    missing = client.post(url, files=files, data={"level": "micro_grid"})
    assert missing.status_code == 428
    stale = client.post(url, files=files, data={"level": "micro_grid", "version": 7})
    assert stale.status_code == 412
    done = client.post(url, files=files, data={"level": "micro_grid"}, headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    result = UploadResult.model_validate(done.json())
    assert (result.removed, result.added, len(result.kept)) == ([b], ["new-1"], len(micro) - 1)
    assert done.headers["etag"] == f'"{result.version}"' == '"2"'
    added = client.get(f"/api/v1/plans/{plan}/areas/new-1").json()["properties"]
    assert added["parent_ref"] == micro[b]["properties"]["parent_ref"]
    assert added["name"] == "重画的微网格" and added["status"] == "new"
    assert client.get(f"/api/v1/plans/{plan}/check").json()["features"] == []
    unchanged = client.get(f"/api/v1/plans/{plan}/areas/{a}").json()["properties"]
    assert unchanged["version"] == 1 and unchanged["status"] == "unchanged"
    garbage = client.post(
        url,
        files={"file": ("x.geojson", b"not a file", "text/plain")},
        data={"level": "micro_grid", "version": 2},
    )
    assert garbage.status_code == 422 and garbage.json()["errors"][0]["field"] == "file"
