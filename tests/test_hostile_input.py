"""What a hostile or careless client sends: NUL characters, integers past bigint, degenerate
geometries. Every one is a 4xx naming the field, never a 500 and never a write.

The cases are generated from the OpenAPI document (every path and query parameter, every
field of every JSON body), so a new endpoint is swept automatically; the routes outside the
document (the sign-in form, Open311's form fields) are listed by hand.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text

from access.accounts import create_account, find_account
from api import tokens
from api.app import create_app
from api.inputs import translate
from geo.settings import Settings
from tests.helpers import counts

SCHEMA = create_app(Settings(database_url="postgresql+psycopg://unused/unused")).openapi()

NUL = "x\x00y"
HUGE = [2**63, -(2**63) - 1, 10**30]
#: Open311 and OGC answer in their own error formats; the field is named in the description.
OWN_FORMATS = ("/open311/", "/ogc")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolve(s) for s in schema[key] if s.get("type") != "null"]
            return options[0] if options else schema
    return schema


def _type(schema: dict[str, Any]) -> str | None:
    return _resolve(schema).get("type")


# parameters ---------------------------------------------------------------------------------

#: Values for the required query parameters, so that only the hostile one is wrong.
REQUIRED = {
    "level": "township",
    "format": "geojson",
    "community": "150621001001",
    "village": "150621001001",
    "month": "2024-06",
    "code": "WG-NO-SUCH-CASE",
    "case": "WG-NO-SUCH-CASE",
}


def _parameter_cases():
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] not in ("path", "query"):
                    continue  # a header cannot carry a NUL on the wire
                name = parameter["name"]
                values: list[Any] = [NUL]
                if _type(parameter["schema"]) == "integer":
                    values += HUGE
                required = {
                    p["name"]: REQUIRED[p["name"]]
                    for p in operation["parameters"]
                    if p.get("required") and p["in"] == "query" and p["name"] != name
                }
                for value in values:
                    shown = "NUL" if value == NUL else str(value)[:12]
                    yield pytest.param(
                        method, path, parameter["in"], name, value, required,
                        id=f"{method.upper()} {path} {name}={shown}",
                    )  # fmt: skip


PARAMETER_CASES = list(_parameter_cases())


def test_the_sweep_covers_every_parameter():
    swept = {(c.values[1], c.values[3]) for c in PARAMETER_CASES}
    assert len(PARAMETER_CASES) >= 250
    assert {
        ("/api/v1/incidents", "member"),
        ("/api/v1/audit", "before"),
        ("/api/v1/incidents/{code}", "code"),
        ("/open311/v2/requests.json", "service_request_id"),
        ("/ogc/collections/{collectionId}/items/{featureId}", "featureId"),
        ("/tiles/{layer}/{z}/{x}/{y}.pbf", "z"),
    } <= swept


@pytest.fixture(scope="module")
def sweeper(database, engine):
    """An administrator of its own: a request that slipped through (a sign-out, a logout)
    revokes this account's tokens, never those of the session's admin."""
    with engine.begin() as conn:
        account = find_account(conn, username="hostile_sweeper") or create_account(
            conn, username="hostile_sweeper", password=None, role="admin"
        )
    token = tokens.issue(Settings(database_url=database.url), account.id, "access").token
    return account.id, {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def real(client, engine, sweeper):
    """Real values for the path parameters, so that only the hostile one is wrong."""
    draft = client.post("/api/v1/plans", json={"scope_code": "15062100100101"})
    assert draft.status_code == 201, draft.text
    plan_id = draft.json()["id"]
    ref = client.get(f"/api/v1/plans/{plan_id}/areas").json()["features"][0]["id"]
    with engine.connect() as conn:
        incident = conn.execute(text("SELECT code FROM incident ORDER BY id LIMIT 1")).scalar()
        member = conn.execute(text("SELECT min(id) FROM member")).scalar()
        whistle = conn.execute(text("SELECT min(id) FROM whistle")).scalar()
        person = conn.execute(text("SELECT min(id) FROM person")).scalar()
        micro = conn.execute(
            text(
                "SELECT min(code) FROM area WHERE level = 'micro_grid' AND generation_high IS NULL"
            )
        ).scalar()
    yield {
        "plan_id": plan_id,
        "ref": ref,
        "code": incident,
        "service_request_id": incident,
        "member_id": member,
        "person_id": person,
        "account_id": sweeper[0],
        "prefix": "abcdefgh",
        "category_code": "0101",
        "category": "0101",
        "step": "handle",
        "urgency": "normal",
        "year": 2026,
        "township_code": "150621001",
        "service_code": "0101",
        "collectionId": "micro_grids",
        "featureId": micro,
        "layer": "micro_grid",
        "z": 0,
        "x": 0,
        "y": 0,
        "quarter": "2023-Q3",
        "appeal_id": 1,
        "whistle_id": whistle,
        "task_id": 1,
        **{"fund_id": 1, "entry_id": 1, "project_id": 1, "loan_id": 1, "agreement_id": 1},
        "planLevel": f"{plan_id}-micro_grids",
        "tileMatrixSetId": "WebMercatorQuad",
    }
    client.delete(f"/api/v1/plans/{plan_id}")
    client.app.state.limiter.reset()  # the sign-in attempts of the sweep


def _names_the_field(path: str, response: Any, field: str) -> bool:
    body = response.json()
    if path.startswith(OWN_FORMATS):
        described = body[0]["description"] if isinstance(body, list) else body["description"]
        return described.startswith(f"{field}:")
    return field in [e["field"] for e in body["errors"]]


def _assert_refused(path: str, response: Any, field: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.status_code not in (401, 403, 404), response.text[:300]
    assert _names_the_field(path, response, field), response.text[:300]


@pytest.mark.parametrize(("method", "path", "where", "name", "value", "required"), PARAMETER_CASES)
def test_a_hostile_parameter_is_refused_naming_it(
    client, engine, real, sweeper, method, path, where, name, value, required
):
    path_values = {k: v for k, v in real.items() if "{" + k + "}" in path}
    query = dict(required)
    if where == "path":
        path_values[name] = value
    else:
        query[name] = value
    url = path.format(**{k: quote(str(v), safe="") for k, v in path_values.items()})
    before = counts(engine)
    response = client.request(method.upper(), url, params=query, headers=sweeper[1])
    _assert_refused(path, response, name)
    assert counts(engine) == before


# JSON bodies --------------------------------------------------------------------------------

#: A plausible value per field name, so that only the hostile field is wrong.
PLAUSIBLE: dict[str, Any] = {
    "lon": 109.95,
    "lat": 40.3,
    "datum": "cgcs2000",
    "category": "0101",
    "scope_code": "15062100100101",
    "reason": "核实上报内容需要联系上报人",
    "username": "admin",
    "password": "wangge-demo-2026",
    "role": "grid_worker",
    "department_code": "D01",
}


def _sample(schema: dict[str, Any], name: str = "") -> Any:
    if name in PLAUSIBLE:
        return PLAUSIBLE[name]
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {k: _sample(v, k) for k, v in props.items() if k in required}
    return {"string": "x", "integer": 1, "number": 1.0, "boolean": False, "array": []}.get(
        kind or "", "x"
    )


def _leaves(schema: dict[str, Any], path: tuple[Any, ...] = (), depth: int = 0):
    """(path, type) of every string and integer field, through objects and arrays."""
    schema = _resolve(schema)
    kind = schema.get("type")
    if depth > 4:
        return
    if kind == "object":
        for key, child in schema.get("properties", {}).items():
            yield from _leaves(child, (*path, key), depth + 1)
        if isinstance(schema.get("additionalProperties"), dict):  # {ref: version}
            yield from _leaves(schema["additionalProperties"], (*path, "N1"), depth + 1)
    elif kind == "array" and isinstance(schema.get("items"), dict):
        yield from _leaves(schema["items"], (*path, 0), depth + 1)
    elif kind in ("string", "integer") and "enum" not in schema:
        yield path, kind


def _with(body: Any, schema: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    """``body`` with ``value`` at ``path``, its containers made from the schema as needed."""
    body = copy.deepcopy(body)
    node, node_schema = body, _resolve(schema)
    for step, next_step in zip(path, (*path[1:], None), strict=True):
        if isinstance(step, int):
            item_schema = _resolve(node_schema["items"])
            while len(node) <= step:
                node.append(_sample(item_schema))
            child_schema = item_schema
        else:
            properties = node_schema.get("properties", {})
            child_schema = _resolve(properties.get(step) or node_schema["additionalProperties"])
            if next_step is not None and step not in node:
                node[step] = [] if child_schema.get("type") == "array" else _sample(child_schema)
        if next_step is None:
            node[step] = value
        else:
            node, node_schema = node[step], child_schema
    return body


def _body_cases():
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = content["application/json"]["schema"]
            for leaf, kind in _leaves(schema):
                values = [NUL] + (HUGE if kind == "integer" else [])
                field = ".".join(str(step) for step in leaf)
                for value in values:
                    shown = "NUL" if value == NUL else str(value)[:12]
                    yield pytest.param(
                        method, path, schema, leaf, value,
                        id=f"{method.upper()} {path} {field}={shown}",
                    )  # fmt: skip


BODY_CASES = list(_body_cases())


def test_the_sweep_covers_every_body_field():
    fields = {(c.values[1], ".".join(map(str, c.values[3]))) for c in BODY_CASES}
    assert len(BODY_CASES) >= 50
    assert {
        ("/api/v1/auth/login", "username"),
        ("/api/v1/auth/login", "password"),
        ("/api/v1/incidents", "description"),
        ("/api/v1/incidents", "reporter.name"),
        ("/api/v1/incidents", "media.0.url"),
        ("/api/v1/incidents/{code}/reveal", "reason"),
        ("/api/v1/plans", "scope_code"),
        ("/api/v1/plans/{plan_id}/areas/{ref}/split", "version"),
        ("/api/v1/plans/{plan_id}/merge", "versions.N1"),
    } <= fields


@pytest.mark.parametrize(("method", "path", "schema", "leaf", "value"), BODY_CASES)
def test_a_hostile_body_field_is_refused_naming_it(
    client, engine, real, sweeper, method, path, schema, leaf, value
):
    url = path.format(**{k: v for k, v in real.items() if "{" + k + "}" in path})
    payload = _with(_sample(schema), schema, leaf, value)
    before = counts(engine)
    response = client.request(
        method.upper(),
        url,
        content=json.dumps(payload),
        headers={
            **sweeper[1],
            "Content-Type": "application/json",
            "Idempotency-Key": "hostile-body",
        },
    )
    _assert_refused(path, response, ".".join(str(step) for step in leaf))
    assert counts(engine) == before


# routes outside the document ----------------------------------------------------------------

FORMS = [
    ("/login", {"username": "admin", "password": "wangge-demo-2026", "next": "/maps/"}),
    (
        "/open311/v2/requests.json",
        {
            "service_code": "0101",
            "lat": "40.3",
            "long": "109.95",
            "description": "楼道堆物",
            "first_name": "张",
            "phone": "13800000000",
            "media_url": "http://example.com/x.jpg",
            "address_string": "x",
            "device_id": "d",
            "account_id": "a",
            "email": "a@example.com",
            "jurisdiction_id": "dalad",
            "api_key": "k",
        },
    ),
]
FORM_CASES = [
    pytest.param(path, fields, name, id=f"POST {path} {name}=NUL")
    for path, fields in FORMS
    for name in fields
]


@pytest.mark.parametrize(("path", "fields", "name"), FORM_CASES)
def test_a_nul_in_a_form_field_is_refused_naming_it(anon, engine, path, fields, name):
    before = counts(engine)
    response = anon.post(path, data={**fields, name: NUL}, follow_redirects=False)
    _assert_refused(path, response, name)
    assert counts(engine) == before
    assert "set-cookie" not in response.headers


def test_a_nul_in_the_sign_in_pages_next_is_refused(anon):
    response = anon.get("/login", params={"next": "/maps/\x00"})
    _assert_refused("/login", response, "next")


# degenerate geometries ----------------------------------------------------------------------

LINES = {
    "one point": {"type": "LineString", "coordinates": [[109.95, 40.3]]},
    "no points": {"type": "LineString", "coordinates": []},
    "empty point": {"type": "LineString", "coordinates": [[], []]},
    "one number": {"type": "LineString", "coordinates": [[109.95], [109.96]]},
    "same point twice": {"type": "LineString", "coordinates": [[109.95, 40.3], [109.95, 40.3]]},
    "nested too deep": {"type": "LineString", "coordinates": [[[109.95, 40.3]]]},
    "no coordinates": {"type": "LineString"},
}
POLYGONS = {
    "one point": {"type": "Polygon", "coordinates": [[[109.95, 40.3]]]},
    "three points": {
        "type": "Polygon",
        "coordinates": [[[109.95, 40.3], [109.96, 40.3], [109.95, 40.3]]],
    },
    "no rings": {"type": "Polygon", "coordinates": []},
    "empty ring": {"type": "Polygon", "coordinates": [[]]},
    "a line for a ring": {"type": "Polygon", "coordinates": [[109.95, 40.3]]},
    "one point multi": {"type": "MultiPolygon", "coordinates": [[[[109.95, 40.3]]]]},
    "empty multi": {"type": "MultiPolygon", "coordinates": [[[]]]},
    "a ring of one number": {"type": "Polygon", "coordinates": [[[1], [2], [3], [1]]]},
}


@pytest.mark.parametrize("shape", LINES.values(), ids=LINES.keys())
def test_a_degenerate_split_line_is_refused_naming_it(client, real, engine, shape):
    before = counts(engine)
    response = client.post(
        f"/api/v1/plans/{real['plan_id']}/areas/{real['ref']}/split",
        json={"line": shape, "datum": "cgcs2000", "version": 1},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    assert [e["field"] for e in response.json()["errors"]] == ["line"], response.text
    assert counts(engine) == before


@pytest.mark.parametrize("shape", POLYGONS.values(), ids=POLYGONS.keys())
@pytest.mark.parametrize("edit", ["add", "replace"])
def test_a_degenerate_polygon_is_refused_naming_it(client, real, shape, edit):
    plan = real["plan_id"]
    if edit == "add":
        body = {"parent": real["ref"], "name": "新", "geometry": shape, "datum": "cgcs2000"}
        response = client.post(f"/api/v1/plans/{plan}/areas", json=body)
    else:
        body = {"geometry": shape, "datum": "cgcs2000", "version": 1}
        response = client.put(f"/api/v1/plans/{plan}/areas/{real['ref']}", json=body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["geometry"], response.text


# the last resort ----------------------------------------------------------------------------


def test_a_value_the_database_refuses_is_a_422_not_a_500(engine):
    """What no check caught (a value assembled inside the service) is still the client's
    bad input: the driver's refusal becomes InvalidInput; other database errors stay 500s."""
    from sqlalchemy.exc import DBAPIError

    def refusal(sql, params):
        with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
            conn.execute(text(sql), params)
        return translate(raised.value)

    nul = refusal("SELECT CAST(:v AS text)", {"v": "a\x00b"})
    big = refusal("SELECT CAST(:v AS bigint)", {"v": 2**63})
    for refused in (nul, big):
        assert refused is not None
        assert (refused.field, refused.where) == ("request", "request")
    assert refusal("SELECT 1 / CAST(:v AS int)", {"v": 0}) is None  # a bug, not input


def test_a_nul_in_a_key_names_the_object_holding_it(client, real, engine):
    response = client.post(
        f"/api/v1/plans/{real['plan_id']}/merge",
        json={"refs": [real["ref"], real["ref"]], "versions": {"N\x001": 1}},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "where": "body",
            "field": "versions",
            "message": "keys must not contain a NUL character (\\u0000)",
        }
    ]


def test_a_body_that_is_not_json_is_refused_naming_the_body(client, engine):
    """A broken JSON body: 422 that says the body is not JSON and where it breaks (FastAPI's
    own location is the character's offset, which named a field "1")."""
    before = counts(engine)
    response = client.post(
        "/api/v1/plans", content=b'{"scope_code": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"where": "body", "field": "body", "message": "not valid JSON at character 15"}
    ]
    assert counts(engine) == before
