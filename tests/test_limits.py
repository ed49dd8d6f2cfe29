"""Limits on what a request may carry: unknown body fields, page sizes, vertices, body size.

The first two walk the OpenAPI document, so a new endpoint is held to them automatically.
"""

from __future__ import annotations

import httpx
import pytest
import shapely

from api.app import create_app
from api.limits import DEFAULT_LIMIT, limit_for
from geo.errors import InvalidInput
from geo.settings import Settings
from geo.shapes import MAX_VERTICES, polygons_from_geojson
from tests.helpers import counts

SCHEMA = create_app(Settings(database_url="postgresql+psycopg://unused/unused")).openapi()


def _resolve(schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SCHEMA["components"]["schemas"][name]
    return schema


def _objects(schema, seen=None):
    """Every object schema reachable from ``schema`` (properties, items, unions)."""
    seen = set() if seen is None else seen
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
    schema = _resolve(schema)
    if schema.get("type") == "object" and "properties" in schema:
        yield schema
    for child in schema.get("properties", {}).values():
        yield from _objects(child, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            yield from _objects(child, seen)
    if isinstance(schema.get("items"), dict):
        yield from _objects(schema["items"], seen)


def _json_bodies():
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield f"{method.upper()} {path}", content["application/json"]["schema"]


BODIES = list(_json_bodies())


def test_there_are_json_bodies_to_check():
    assert len(BODIES) >= 10


@pytest.mark.parametrize(("operation", "schema"), BODIES, ids=[b[0] for b in BODIES])
def test_every_json_body_refuses_unknown_fields(operation, schema):
    loose = [
        s.get("title", "?")
        for s in _objects(schema)
        if s.get("additionalProperties") is not False
        # GeoJSON geometries and free-form property bags are open by their own standards
        and s.get("title") not in ("Properties", "Geometry")
    ]
    assert loose == [], f"{operation}: these objects accept unknown fields"


def _paged():
    for path, item in SCHEMA["paths"].items():
        operation = item.get("get", {})
        if any(
            p["name"] == "limit" and p["in"] == "query" for p in operation.get("parameters", [])
        ):
            yield path


PAGED = list(_paged())


def test_paged_lists_are_the_expected_ones():
    assert set(PAGED) >= {
        "/api/v1/areas",
        "/api/v1/incidents",
        "/api/v1/members/{member_id}/incidents",
        "/ogc/collections/{collectionId}/items",  # micro_grids below
    }


@pytest.mark.parametrize("path", PAGED)
def test_every_page_size_has_a_ceiling(client, auth, path):
    concrete = path.replace("{member_id}", "1").replace("{collectionId}", "micro_grids")
    headers, plan = {}, None
    if "{planLevel}" in path:  # a draft's collection (OGC API Part 4): a draft to ask
        headers = auth("planner")
        made = client.post("/api/v1/plans", json={"scope_code": "150621001001"}, headers=headers)
        assert made.status_code == 201, made.text
        plan = made.json()["id"]
        concrete = concrete.replace("{planLevel}", f"{plan}-micro_grids")
    try:
        answer = client.get(concrete, params={"limit": 1_000_000}, headers=headers)
    finally:
        if plan is not None:
            client.delete(f"/api/v1/plans/{plan}", headers=headers)
    assert answer.status_code in (400, 422), answer.text
    assert "limit" in answer.text


def test_a_geometry_past_the_vertex_ceiling_is_refused():
    ring = shapely.Point(110, 40).buffer(0.01, quad_segs=MAX_VERTICES // 4 + 1)
    polygon = shapely.geometry.mapping(ring)
    with pytest.raises(InvalidInput) as refused:
        polygons_from_geojson(polygon, "cgcs2000", field="areas.0.geometry")
    count = shapely.get_num_coordinates(ring)
    assert count > MAX_VERTICES
    assert str(refused.value) == (
        f"areas.0.geometry: has {count:,} vertices; at most {MAX_VERTICES:,}"
    )


def test_a_body_past_the_size_limit_is_413_and_writes_nothing(client):
    answer = client.post(
        "/api/v1/incidents",
        content=b'{"description": "' + b"x" * (1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == "request body is larger than 1,048,576 bytes"


def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_a_chunked_body_past_the_limit_is_413_not_400(live_server, admin_headers, engine):
    """No Content-Length: the body is cut off where it passes 1 MB, and the 413 replaces the
    400 FastAPI makes of a body it could not read."""
    before = counts(engine)
    answer = httpx.post(
        f"{live_server}/api/v1/incidents",
        content=_chunks(1024 * 1024 + 1),
        headers={**admin_headers, "Content-Type": "application/json", "Idempotency-Key": "big"},
        timeout=30,
    )
    assert "content-length" not in answer.request.headers
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 413, answer.text
    assert answer.json()["errors"] == [
        {"where": "body", "field": "body", "message": "at most 1,048,576 bytes"}
    ]
    assert counts(engine) == before


def test_a_chunked_body_under_the_limit_goes_through(live_server, admin_headers):
    answer = httpx.post(
        f"{live_server}/api/v1/plans",
        content=iter([b'{"scope_code": ', b"1}"]),
        headers={**admin_headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "scope_code"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/plans"),
        ("POST", "/api/v1/plans/1/areas"),
        ("PUT", "/api/v1/plans/1/areas/N1"),
        ("POST", "/api/v1/plans/1/areas/N1/split"),
        ("POST", "/api/v1/plans/1/merge"),
        ("POST", "/api/v1/plans/1/repairs/apply"),
        ("POST", "/api/v1/plans/1/publish"),
    ],
)
def test_plan_edits_are_held_to_1_mb_like_any_json_body(client, method, path):
    answer = client.request(
        method,
        path,
        content=b'{"name": "' + b"x" * (1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["detail"] == "request body is larger than 1,048,576 bytes"


def test_only_the_uploads_take_more():
    assert limit_for("/api/v1/plans/7/upload") == 20 * 1024 * 1024
    assert limit_for("/api/v1/incidents/import") == 50 * 1024 * 1024
    assert limit_for("/api/v1/plans/7/areas") == DEFAULT_LIMIT
    assert limit_for("/api/v1/plans/7/upload/x") == DEFAULT_LIMIT
