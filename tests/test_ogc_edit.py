"""/ogc plan collections: OGC API - Features Part 4 on a draft, as QGIS saves it and by hand.

The QGIS test replays, request for request, what QGIS's OAPIF provider sends
(``src/providers/wfs/oapif/`` in qgis/QGIS): opening the layer (``qgsoapifprovider.cpp``
``QgsOapifProvider::init`` and ``computeCapabilities``), downloading its features
(``qgsoapiffeaturedownloaderimpl.cpp`` ``QgsOapifFeatureDownloaderImpl::run``) and saving
(``QgsOapifProvider::changeGeometryValues`` → ``qgsoapifputfeaturerequest.cpp``
``putFeature``; ``addFeatures`` → ``qgsoapifcreatefeaturerequest.cpp`` ``createFeature``).
Its bodies are what ``QgsJsonExporter`` writes: 6 decimals, axes swapped for EPSG:4490
(latitude first), ``bbox`` dropped. Expected figures come from shapely and pyproj on the
features as read, not from the service's own code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import mapping, shape
from shapely.geometry.polygon import orient
from sqlalchemy import text

from api.ogc import Collection, Feature, FeatureCollection

VILLAGE = "150621001001"
OTHER_TOWNSHIP_VILLAGE = "150621002001"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: ``QgsCoordinateReferenceSystem::toOgcUri()`` of EPSG:4490: QGIS sends it without brackets.
QGIS_CRS = "http://www.opengis.net/def/crs/EPSG/0/4490"
PART4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
GRS80 = Geod(ellps="GRS80")  # CGCS2000's ellipsoid


def _client(client: TestClient, headers: dict[str, str], privacy_scan: Any) -> TestClient:
    signed = TestClient(client.app, raise_server_exceptions=False, headers=headers)
    signed.event_hooks = {"request": [], "response": [privacy_scan.response]}
    return signed


@pytest.fixture(scope="module")
def planner(client, auth, privacy_scan):
    return _client(client, auth("planner"), privacy_scan)


@pytest.fixture
def plan(planner):
    response = planner.post("/api/v1/plans", json={"scope_code": VILLAGE, "description": "QGIS"})
    assert response.status_code == 201, response.text
    plan_id = response.json()["id"]
    yield plan_id
    planner.delete(f"/api/v1/plans/{plan_id}")


def _items_url(plan_id: int, level: str = "micro_grids") -> str:
    return f"/ogc/collections/plan-{plan_id}-{level}/items"


def _micro(planner, plan_id) -> dict[str, dict[str, Any]]:
    body = planner.get(f"/api/v1/plans/{plan_id}/areas", params={"level": "micro_grid"}).json()
    return {f["id"]: f for f in body["features"]}


def _neighbours(features: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """Two micro-grids under one grid sharing an edge."""
    for a, fa in sorted(features.items()):
        for b, fb in sorted(features.items()):
            same_parent = fa["properties"]["parent_ref"] == fb["properties"]["parent_ref"]
            touching = shape(fa["geometry"]).intersection(shape(fb["geometry"])).length > 0
            if a < b and same_parent and touching:
                return a, b
    raise AssertionError("no neighbours")


def _round6(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, list | tuple):
        return [_round6(x) for x in obj]
    return obj


def _qgis_json(geom: Any) -> dict[str, Any]:
    swapped = shapely.transform(geom, lambda xy: xy[:, ::-1])
    return {"type": swapped.geom_type, "coordinates": _round6(mapping(swapped)["coordinates"])}


def _area_m2(geom: Any) -> float:
    return abs(GRS80.geometry_area_perimeter(geom)[0])


def _version(engine, plan_id: int, ref: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT version FROM plan_area WHERE plan_id = :p AND ref = :r"),
            {"p": plan_id, "r": ref},
        ).scalar_one()


# --- QGIS ----------------------------------------------------------------------------------


def test_qgis_opens_a_draft_and_saves_an_edited_boundary(planner, plan, engine):
    coll = f"plan-{plan}-micro_grids"
    items = _items_url(plan)
    drafted = _micro(planner, plan)
    a, b = _neighbours(drafted)
    assert planner.get(f"/api/v1/plans/{plan}/check").json()["count"] == 0

    # QgsOapifProvider::init: landing page, API (service-desc), collection, conformance
    landing = planner.get("/ogc")
    api_url = next(x["href"] for x in landing.json()["links"] if x["rel"] == "service-desc")
    assert planner.get(api_url).status_code == 200
    described = planner.get(f"/ogc/collections/{coll}")
    assert described.status_code == 200, described.text
    collection = Collection.model_validate(described.json())
    conforms = planner.get("/ogc/conformance").json()["conformsTo"]
    # Part 2 is declared, so QGIS takes storageCrs as the layer's CRS: EPSG:4490, axes inverted
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms
    assert collection.storageCrs == QGIS_CRS
    first = planner.get(f"{items}?limit=10")
    assert first.status_code == 200, first.text
    page = FeatureCollection.model_validate(first.json())
    assert page.numberMatched == len(drafted) and page.numberReturned == min(10, len(drafted))
    assert [f.id for f in page.features] == sorted(drafted)[:10]

    # QgsOapifProvider::computeCapabilities: OPTIONS on the items, then on the first item
    allow = planner.options(items).headers["allow"].split(", ")
    assert "POST" in allow
    allow_one = planner.options(f"{items}/{page.features[0].id}").headers["allow"].split(", ")
    assert "PUT" in allow_one and "PATCH" not in allow_one and "DELETE" not in allow_one

    # QgsOapifFeatureDownloaderImpl::run: limit=page size, the canvas rect inverted, crs
    west, south, east, north = collection.extent.spatial.bbox[0]
    downloaded = planner.get(
        f"{items}?limit=1000&bbox={south},{west},{north},{east}&bbox-crs={QGIS_CRS}&crs={QGIS_CRS}"
    )
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-crs"] == f"<{QGIS_CRS}>"
    layer = {f["id"]: f for f in downloaded.json()["features"]}
    assert sorted(layer) == sorted(drafted)
    lon_lat = shapely.transform(shape(layer[a]["geometry"]), lambda xy: xy[:, ::-1])
    assert lon_lat.equals_exact(shape(drafted[a]["geometry"]), 1e-9)

    # The planner drags A's boundary over B (A absorbs B) and saves. No PATCH was advertised,
    # so changeGeometryValues sends PUT with the cached feature and its new geometry.
    union = shape(drafted[a]["geometry"]).union(shape(drafted[b]["geometry"]))
    assert union.geom_type == "Polygon"  # one piece, so QGIS's MultiPolygon layer holds one
    edited = shapely.MultiPolygon([orient(union, 1.0)])
    sent = {
        "type": "Feature",
        "id": a,
        "geometry": _qgis_json(edited),
        "properties": layer[a]["properties"],
    }
    saved = planner.put(
        f"{items}/{a}",
        content=json.dumps(sent),
        headers={"Content-Type": "application/geo+json", "Content-Crs": QGIS_CRS},
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"2"'

    # Round trip: the item read back is the edit, vertex for vertex
    back = planner.get(f"{items}/{a}", params={"crs": QGIS_CRS})
    assert back.status_code == 200 and back.headers["etag"] == '"2"'
    assert back.json()["geometry"] == sent["geometry"]
    assert back.json()["properties"]["status"] == "changed"

    # The plan's check sees A over B, the size of B. QGIS wrote 6 decimals (~5 cm), so A's
    # edges no longer meet its other neighbours' vertex for vertex: slivers, each naming A
    check = f"/api/v1/plans/{plan}/check"
    problems = planner.get(check).json()["features"]
    assert problems and all(a in p["properties"]["codes"] for p in problems)
    overlap = [p for p in problems if sorted(p["properties"]["codes"]) == [a, b]]
    assert [p["properties"]["kind"] for p in overlap] == ["overlap"]
    b_m2 = _area_m2(shape(drafted[b]["geometry"]))
    assert overlap[0]["properties"]["area_m2"] == pytest.approx(b_m2, rel=2e-3)
    slivers = [p["properties"]["area_m2"] for p in problems if p not in overlap]
    assert all(m2 is not None and m2 < 25 for m2 in slivers), slivers
    # The snap repair on offer brings A back onto its neighbours: only A over B remains
    offered = planner.get(f"/api/v1/plans/{plan}/repairs").json()["features"]
    assert [o["properties"]["id"] for o in offered] == [f"snap:{a}@2"]
    applied = planner.post(f"/api/v1/plans/{plan}/repairs/apply", json={"ids": [f"snap:{a}@2"]})
    assert applied.status_code == 200 and applied.json()["changed"] == [a]
    problems = planner.get(check).json()["features"]
    assert [(p["properties"]["kind"], sorted(p["properties"]["codes"])) for p in problems] == [
        ("overlap", [a, b])
    ]
    assert problems[0]["properties"]["area_m2"] == pytest.approx(b_m2, rel=1e-4)

    # The impact preview: A alone changes, retired and redrawn at A ∪ B's size
    impact = planner.get(f"/api/v1/plans/{plan}/impact").json()
    assert impact["areas"] == {"retired": [a], "changed": [a], "new": []}
    after = {c["ref"]: c for c in impact["counts"]["after"]}
    assert after[a]["km2"] == pytest.approx(_area_m2(union) / 1e6, abs=1e-4)
    before = {c["code"]: c for c in impact["counts"]["before"]}
    assert before[a]["km2"] == pytest.approx(
        _area_m2(shape(drafted[a]["geometry"])) / 1e6, abs=1e-4
    )

    # QGIS's cache keeps the version it read: a second save of A is refused, nothing written
    again = planner.put(
        f"{items}/{a}",
        content=json.dumps(sent),
        headers={"Content-Type": "application/geo+json", "Content-Crs": QGIS_CRS},
    )
    assert again.status_code == 412 and again.json()["version"] == 3
    assert _version(engine, plan, a) == 3


def test_qgis_draws_a_new_micro_grid(planner, plan):
    items = _items_url(plan)
    drafted = _micro(planner, plan)
    a = sorted(drafted)[0]
    parent = drafted[a]["properties"]["parent_ref"]
    inside = shape(drafted[a]["geometry"]).representative_point()
    square = orient(shapely.box(inside.x - 1e-4, inside.y - 1e-4, inside.x + 1e-4, inside.y + 1e-4))
    # QgsOapifCreateFeatureRequest::createFeature: no id, no bbox, every field (nulls included)
    properties = dict.fromkeys(drafted[a]["properties"])
    properties |= {"name": "新画的微网格", "parent_ref": parent}
    body = {
        "type": "Feature",
        "geometry": _qgis_json(shapely.MultiPolygon([square])),
        "properties": properties,
    }
    created = planner.post(
        items,
        content=json.dumps(body),
        headers={"Content-Type": "application/geo+json", "Content-Crs": QGIS_CRS},
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    new_id = location[location.rindex("/items/") + len("/items/") :]
    assert new_id == "new-1" and created.headers["etag"] == '"1"'
    # addFeatures then refreshes the feature with a GET of /items/{id} (no crs: CRS84)
    fetched = planner.get(f"{items}/{new_id}")
    assert fetched.status_code == 200
    feature = Feature.model_validate(fetched.json())
    assert feature.properties["level"] == "micro_grid" and feature.properties["status"] == "new"
    assert feature.properties["parent_ref"] == parent and feature.properties["version"] == 1
    assert shape(feature.geometry).equals_exact(shapely.MultiPolygon([square]), 1e-6)
    listed = planner.get(f"/api/v1/plans/{plan}/areas/{new_id}")
    assert listed.status_code == 200 and listed.json()["properties"]["name"] == "新画的微网格"


# --- Part 4 by hand ------------------------------------------------------------------------


def test_patch_merges_name_and_geometry_with_the_etag(planner, plan, engine):
    items = _items_url(plan)
    drafted = _micro(planner, plan)
    ref = sorted(drafted)[1]
    url = f"{items}/{ref}"
    patch = {"Content-Type": "application/merge-patch+json"}
    missing = planner.patch(url, json={"properties": {"name": "甲"}}, headers=patch)
    assert missing.status_code == 428 and missing.json()["field"] == "If-Match"
    renamed = planner.patch(
        url, json={"properties": {"name": "甲"}}, headers={**patch, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.headers["etag"] == '"2"' and renamed.json()["properties"]["name"] == "甲"
    assert renamed.json()["geometry"] == drafted[ref]["geometry"]  # the boundary stays
    stale = planner.patch(
        url, json={"properties": {"name": "乙"}}, headers={**patch, "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.json()["version"] == 2
    smaller = shape(drafted[ref]["geometry"]).buffer(-1e-4)
    moved = planner.patch(
        url, json={"geometry": mapping(smaller)}, headers={**patch, "If-Match": 'W/"2"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["properties"]["name"] == "甲" and moved.headers["etag"] == '"3"'
    assert shape(moved.json()["geometry"]).area == pytest.approx(smaller.area, rel=1e-5)
    assert _version(engine, plan, ref) == 3
    wrong_type = planner.patch(
        url,
        content=b'{"properties": {}}',
        headers={"If-Match": '"3"', "Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 415


def test_delete_needs_the_etag_and_a_childless_area(planner, plan, engine):
    drafted = _micro(planner, plan)
    ref = sorted(drafted)[2]
    url = f"{_items_url(plan)}/{ref}"
    assert planner.delete(url).status_code == 428
    assert planner.delete(url, headers={"If-Match": '"7"'}).status_code == 412
    assert _version(engine, plan, ref) == 1
    deleted = planner.delete(url, headers={"If-Match": '"1"'})
    assert deleted.status_code == 204
    assert planner.get(url).status_code == 404
    grid = drafted[ref]["properties"]["parent_ref"]
    held = planner.delete(f"{_items_url(plan, 'grids')}/{grid}", headers={"If-Match": '"1"'})
    assert held.status_code == 409 and ref not in held.json()["children"]
    assert held.json()["children"]  # its other micro-grids


def test_a_refused_geometry_says_what_the_planner_api_says(planner, plan, engine):
    drafted = _micro(planner, plan)
    ref = sorted(drafted)[0]
    x, y = shape(drafted[ref]["geometry"]).representative_point().coords[0]
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 1e-3, y + 1e-3], [x + 1e-3, y], [x, y + 1e-3], [x, y]]],
    }
    planner_api = planner.put(
        f"/api/v1/plans/{plan}/areas/{ref}",
        json={"geometry": bowtie, "datum": "cgcs2000"},
        headers={"If-Match": '"1"'},
    )
    ogc = planner.put(
        f"{_items_url(plan)}/{ref}",
        json={"type": "Feature", "geometry": bowtie, "properties": {"version": 1}},
        headers={"Content-Type": "application/geo+json"},
    )
    assert planner_api.status_code == 422 and ogc.status_code == 400
    assert ogc.json()["description"] == planner_api.json()["detail"]
    assert "Self-intersection" in ogc.json()["description"] and ogc.json()["field"] == "geometry"
    distant = {
        "type": "Polygon",
        "coordinates": [[[x + 1, y], [x + 1.001, y], [x + 1.001, y + 0.001], [x + 1, y]]],
    }
    refused = planner.put(
        f"{_items_url(plan)}/{ref}",
        json={"type": "Feature", "geometry": distant, "properties": {"version": 1}},
        headers={"Content-Type": "application/geo+json"},
    )
    assert refused.status_code == 400 and "km outside the scope" in refused.json()["description"]
    assert _version(engine, plan, ref) == 1


def test_content_crs_is_crs84_or_epsg_4490_else_400(planner, plan, engine):
    drafted = _micro(planner, plan)
    ref = sorted(drafted)[0]
    url = f"{_items_url(plan)}/{ref}"
    feature = {
        "type": "Feature",
        "geometry": drafted[ref]["geometry"],
        "properties": {"version": 1},
    }
    geo = {"Content-Type": "application/geo+json"}
    for crs in ("http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4490", "<>"):
        refused = planner.put(url, json=feature, headers={**geo, "Content-Crs": crs})
        assert refused.status_code == 400, (crs, refused.text)
        assert refused.json()["field"] == "Content-Crs"
    assert _version(engine, plan, ref) == 1
    bracketed = planner.put(url, json=feature, headers={**geo, "Content-Crs": f"<{CRS84}>"})
    assert bracketed.status_code == 200, bracketed.text
    assert bracketed.json()["geometry"] == drafted[ref]["geometry"]


def test_published_plans_and_live_collections_are_read_only(planner, plan, engine):
    drafted = _micro(planner, plan)
    ref = sorted(drafted)[0]
    url = f"{_items_url(plan)}/{ref}"
    feature = {
        "type": "Feature",
        "geometry": drafted[ref]["geometry"],
        "properties": {"version": 1},
    }
    # Marked published on its row only: a real publication changes the current generation
    # for every other test (see test_plan_publish.py, on a scratch database).
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE plan SET status = 'published', generation_id = 1 WHERE id = :p"),
            {"p": plan},
        )
    try:
        geo = {"Content-Type": "application/geo+json", "If-Match": '"1"'}
        for method, target, kwargs in (
            ("PUT", url, {"json": feature}),
            ("PATCH", url, {"json": {"properties": {"name": "x"}}}),
            ("DELETE", url, {}),
            ("POST", _items_url(plan), {"json": feature}),
        ):
            answer = planner.request(method, target, headers=geo, **kwargs)
            assert answer.status_code == 405, (method, answer.text)
            assert answer.headers["allow"] == "GET, OPTIONS"
        assert planner.options(_items_url(plan)).headers["allow"] == "GET, OPTIONS"
        assert planner.get(url).status_code == 200
        assert _version(engine, plan, ref) == 1
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE plan SET status = 'draft', generation_id = NULL WHERE id = :p"),
                {"p": plan},
            )
    live = planner.put(
        f"/ogc/collections/micro_grids/items/{ref}",
        json=feature,
        headers={"Content-Type": "application/geo+json"},
    )
    assert live.status_code == 405 and "PUT" not in live.headers["allow"]
    posted = planner.post("/ogc/collections/grids/items", json=feature)
    assert posted.status_code == 405 and "POST" not in posted.headers["allow"]


def test_plan_collections_are_seen_by_planners_inside_their_scope_only(
    client, planner, plan, auth, privacy_scan, engine
):
    ids = {f"plan-{plan}-grids", f"plan-{plan}-micro_grids"}
    listed = {c["id"] for c in planner.get("/ogc/collections").json()["collections"]}
    assert ids <= listed and f"plan-{plan}-villages" not in listed
    command = _client(client, auth("command"), privacy_scan)
    assert not any(
        c["id"].startswith("plan-") for c in command.get("/ogc/collections").json()["collections"]
    )
    assert command.get(f"/ogc/collections/plan-{plan}-micro_grids").status_code == 404
    assert command.get(_items_url(plan)).status_code == 404
    # A planner of township 150621001 and a plan of township 150621002
    other = planner.post("/api/v1/plans", json={"scope_code": OTHER_TOWNSHIP_VILLAGE}).json()["id"]
    try:
        township = _client(client, auth("planner_township"), privacy_scan)
        seen = {c["id"] for c in township.get("/ogc/collections").json()["collections"]}
        assert ids <= seen and not any(c.startswith(f"plan-{other}-") for c in seen)
        ref = sorted(_micro(planner, other))[0]
        missing = township.get("/ogc/collections/plan-999999-micro_grids").json()
        for answer in (
            township.get(f"/ogc/collections/plan-{other}-micro_grids"),
            township.get(_items_url(other)),
            township.get(f"{_items_url(other)}/{ref}"),
            township.options(_items_url(other)),
            township.delete(f"{_items_url(other)}/{ref}", headers={"If-Match": '"1"'}),
        ):
            assert answer.status_code == 404, answer.text
        gone = township.get(f"/ogc/collections/plan-{other}-micro_grids").json()
        assert gone["description"].replace(str(other), "N") == missing["description"].replace(
            "999999", "N"
        )
        assert _version(engine, other, ref) == 1
    finally:
        planner.delete(f"/api/v1/plans/{other}")


def test_hostile_writes_are_4xx_naming_the_field_and_write_nothing(planner, plan, engine):
    drafted = _micro(planner, plan)
    ref = sorted(drafted)[0]
    url = f"{_items_url(plan)}/{ref}"
    geometry = drafted[ref]["geometry"]
    geo = {"Content-Type": "application/geo+json"}
    cases = [
        (
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"version": 1, "name": "a\x00b"},
            },
            "properties.name",
        ),
        (
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"version": 1, "name": "长" * 201},
            },
            "properties.name",
        ),
        (
            {"type": "Feature", "geometry": geometry, "properties": {"version": 1, "name": 7}},
            "properties.name",
        ),
        (
            {"type": "Feature", "geometry": geometry, "properties": {"version": "1"}},
            "properties.version",
        ),
        (
            {"type": "Feature", "geometry": geometry, "properties": {"version": True}},
            "properties.version",
        ),
        ({"type": "Feature", "geometry": geometry, "properties": {"version": 2**63}}, None),
        (
            {"type": "Feature", "geometry": geometry, "properties": {"version": 1, "owner": "x"}},
            "properties.owner",
        ),
        (
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"version": 1, "level": "grid"},
            },
            "properties.level",
        ),
        (
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"version": 1, "parent_ref": "x"},
            },
            "properties.parent_ref",
        ),
        ({"type": "Feature", "geometry": None, "properties": {"version": 1}}, "geometry"),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [110, 40]},
                "properties": {"version": 1},
            },
            "geometry",
        ),
        (
            {"type": "Feature", "id": "other", "geometry": geometry, "properties": {"version": 1}},
            "id",
        ),
        ({"type": "FeatureCollection", "features": []}, "features"),
        ([1, 2], "body"),
        ("feature", "body"),
    ]
    for body, field in cases:
        answer = planner.put(url, json=body, headers=geo)
        assert 400 <= answer.status_code < 500 and answer.status_code != 404, (body, answer.text)
        if field is not None:
            assert answer.json().get("field") == field, (field, answer.text)
    assert planner.put(url, content=b"{not json", headers=geo).status_code == 400
    assert planner.put(url, content=b"", headers=geo).status_code == 400
    assert planner.put(url, json={}, headers={"Content-Type": "text/plain"}).status_code == 415
    huge = b'{"type": "Feature", "properties": {"name": "' + b"x" * 2_000_000 + b'"}}'
    assert planner.put(url, content=huge, headers=geo).status_code == 413
    assert planner.get(f"{_items_url(plan)}?limit=0").status_code == 400
    assert planner.get(f"{_items_url(plan)}?nope=1").json()["code"] == "InvalidParameterValue"
    assert planner.get(f"/ogc/collections/plan-{plan}-townships").status_code == 404
    nul = planner.get("/ogc/collections/plan-1%00-grids/items")
    assert nul.status_code == 400 and nul.json()["field"] == "planLevel"
    assert _version(engine, plan, ref) == 1


def test_conformance_and_openapi_declare_part_4(anon, client):
    conforms = anon.get("/ogc/conformance").json()["conformsTo"]
    assert conforms[-4:] == [
        PART4 + "create-replace-delete",
        PART4 + "update",
        PART4 + "optimistic-locking-etags",
        PART4 + "features",
    ]
    paths = client.get("/openapi.json").json()["paths"]
    one = paths["/ogc/collections/plan-{planLevel}/items/{featureId}"]
    assert {"get", "put", "patch", "delete", "options"} <= set(one)
    assert "application/merge-patch+json" in one["patch"]["requestBody"]["content"]
    assert (
        "application/geo+json"
        in paths["/ogc/collections/plan-{planLevel}/items"]["post"]["requestBody"]["content"]
    )


#: GDAL's OAPIF driver reads only (no Part 4 in GDAL 3.12): run in a child process, since
#: pyogrio holds the GIL while GDAL fetches and the live server answers from this process.
_GDAL_READ = """
import json, sys
import pyogrio
frame = pyogrio.read_dataframe("OAPIF:" + sys.argv[1])
print(json.dumps({
    "epsg": frame.crs.to_epsg(),
    "refs": frame["ref"].tolist(),
    "wkb": {r: g.hex() for r, g in zip(frame["ref"], frame.geometry.to_wkb())},
}))
"""


def test_gdal_reads_a_draft_in_epsg_4490(live_server, auth, planner, plan, tmp_path):
    drafted = _micro(planner, plan)
    headers = tmp_path / "gdal-headers.txt"
    headers.write_text("".join(f"{k}: {v}\n" for k, v in auth("planner").items()))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _GDAL_READ,
            f"{live_server}/ogc/collections/plan-{plan}-micro_grids",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GDAL_HTTP_HEADER_FILE": str(headers)},
    )
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout)
    assert read["epsg"] == 4490 and sorted(read["refs"]) == sorted(drafted)
    for ref, wkb in read["wkb"].items():
        served = shapely.from_wkb(bytes.fromhex(wkb))
        assert served.equals_exact(shape(drafted[ref]["geometry"]), 1e-7), ref
