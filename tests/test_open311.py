"""Open311 GeoReport v2 under /open311/v2: services, posting, reading, errors and privacy."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import shapely
from pydantic import TypeAdapter
from sqlalchemy import text

from api.open311 import (
    Discovery,
    GeoReportError,
    Service,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestCreated,
)
from cases.models import IncidentStatus
from cases.open311 import georeport_status
from tests.helpers import counts

URL = "/open311/v2"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
#: The text of every Open311 response in this module, scanned for personal data at the end.
SEEN: list[str] = []
#: Personal data the reporters below send; none of it may come back out.
PERSONAL = ["13812345678", "138****5678", "zhang.sf@example.com", "张三丰", "张**", "device-42"]
REPORTER = {
    "first_name": "三丰",
    "last_name": "张",
    "phone": "13812345678",
    "email": "zhang.sf@example.com",
    "device_id": "device-42",
}

Requests = TypeAdapter(list[ServiceRequest])
Errors = TypeAdapter(list[GeoReportError])


def call(client, method, path, **kwargs):
    response = client.request(method, URL + path, **kwargs)
    SEEN.append(response.text)
    return response


def get_requests(client, **params):
    response = call(client, "GET", "/requests.json", params=params)
    assert response.status_code == 200, response.text
    return [r.service_request_id for r in Requests.validate_python(response.json())]


def get_one(client, code):
    response = call(client, "GET", f"/requests/{code}.json")
    assert response.status_code == 200, response.text
    (one,) = Requests.validate_python(response.json())
    return one


def db_now(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT now()")).scalar_one()


def _csv(name):
    with (SAMPLE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


CATEGORIES = {row["code"]: row for row in _csv("categories.csv")}
DEPARTMENTS = {row["code"]: row["name"] for row in _csv("departments.csv")}


@pytest.fixture(scope="module")
def places(sample_areas):
    """Interior points of a few micro-grids with their area chain, as (lon, lat, names)."""
    names = {
        row["code"]: row["name"] for level in sample_areas.values() for _, row in level.iterrows()
    }
    micro = sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)
    out = []
    for index in (333, 1717, 2929, 4141, 5353):
        row = micro.iloc[index]
        point = shapely.point_on_surface(row.geometry)
        chain = [names[row["code"][:n]] for n in (6, 9, 12, 14)] + [row["name"]]
        out.append((round(point.x, 7), round(point.y, 7), chain))
    return out


def form(lon, lat, service_code, **extra):
    return {"service_code": service_code, "lat": str(lat), "long": str(lon), **extra}


@pytest.fixture(scope="module")
def posted(client, engine, places):
    """One 林草防火 request posted form-encoded with a reporter's personal data."""
    lon, lat, chain = places[0]
    start = db_now(engine)
    fields = form(lon, lat, "0705", description="林地边有人烧荒，请联系13987654321", **REPORTER)
    response = call(client, "POST", "/requests.json", data=fields)
    assert response.status_code == 201, response.text
    (created,) = TypeAdapter(list[ServiceRequestCreated]).validate_python(response.json())
    return {"created": created, "start": start, "lon": lon, "lat": lat, "chain": chain}


def test_discovery_names_the_json_endpoint(client):
    response = call(client, "GET", "/discovery.json")
    (endpoint,) = Discovery.model_validate(response.json()).endpoints
    assert endpoint.url == "http://testserver/open311/v2"
    assert endpoint.formats == ["application/json"]


def test_services_are_the_minor_categories(client):
    response = call(client, "GET", "/services.json")
    found = TypeAdapter(list[Service]).validate_python(response.json())
    minors = [code for code, row in CATEGORIES.items() if row["parent_code"]]
    assert [s.service_code for s in found] == minors
    neighbours = next(s for s in found if s.service_code == "0101")
    assert (neighbours.service_name, neighbours.group) == ("邻里纠纷", "矛盾纠纷")
    assert (neighbours.type, neighbours.metadata) == ("realtime", False)
    assert "达拉特旗司法局" in neighbours.description and "72 小时" in neighbours.description
    assert "敏感" in next(s for s in found if s.service_code == "0202").description


def test_service_definition_and_unknown_code(client):
    response = call(client, "GET", "/services/0705.json")
    assert ServiceDefinition.model_validate(response.json()).attributes == []
    response = call(client, "GET", "/services/9999.json")
    assert response.status_code == 404
    (error,) = Errors.validate_python(response.json())
    assert error.code == 404 and error.description.startswith("service_code: ")
    assert "9999" in error.description


def test_post_form_then_read_it_back(client, engine, posted):
    created = posted["created"]
    assert re.fullmatch(r"DLT-20\d\d-\d{6}", created.service_request_id)
    assert created.account_id is None
    department = DEPARTMENTS[CATEGORIES["0705"]["department_code"]]
    assert created.service_notice.startswith(f"由{department}承办，处置时限 6 小时")
    one = get_one(client, created.service_request_id)
    assert (one.service_code, one.service_name, one.status) == ("0705", "林草防火", "open")
    assert (one.status_notes, one.agency_responsible) == ("已上报", department)
    assert one.lat == pytest.approx(posted["lat"], abs=1e-7)
    assert one.long == pytest.approx(posted["lon"], abs=1e-7)
    assert one.address == " ".join(posted["chain"])
    assert one.address.startswith("达拉特旗 ")
    assert one.description == "林地边有人烧荒，请联系139****4321"
    requested = datetime.fromisoformat(one.requested_datetime)
    assert requested.utcoffset() == timedelta(hours=8)
    assert datetime.fromisoformat(one.expected_datetime) - requested == timedelta(hours=6)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT source, datum, reporter_name, reporter_phone FROM incident "
                "WHERE code = :code"
            ),
            {"code": created.service_request_id},
        ).one()
    assert tuple(row) == ("open311", "wgs84", "张三丰", "13812345678")


def test_filters_include_or_exclude_it_exactly(client, engine, posted):
    code, start = posted["created"].service_request_id, posted["start"]
    after = db_now(engine)
    iso = datetime.isoformat
    assert get_requests(client, service_code="0705", status="open", start_date=iso(start)) == [code]
    assert get_requests(client, service_code="0705", status="closed", start_date=iso(start)) == []
    assert get_requests(client, service_code="0705,0101", start_date=iso(start)) == [code]
    assert get_requests(client, service_code="0101", start_date=iso(start)) == []
    assert get_requests(client, service_code="0705", start_date=iso(after)) == []
    window = {"start_date": iso(start - timedelta(days=1)), "end_date": iso(start)}
    assert get_requests(client, service_code="0705", **window) == []
    assert code in get_requests(client, status="open")  # the default window: the last 90 days
    # service_request_id overrides every other filter, as the spec says
    ids = f"{code},DLT-1999-000001"
    assert get_requests(client, service_request_id=ids, service_code="0101") == [code]


def test_closed_statuses_answer_closed(client, engine, places):
    lon, lat, _ = places[1]
    start = db_now(engine)
    response = call(client, "POST", "/requests.json", data=form(lon, lat, "0704"))
    code = response.json()[0]["service_request_id"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE incident SET status = 'evaluated' WHERE code = :c"), {"c": code})
    window = {"service_code": "0704", "start_date": start.isoformat()}
    assert get_requests(client, status="closed", **window) == [code]
    assert get_requests(client, status="open", **window) == []
    assert get_requests(client, status="open,closed", **window) == [code]
    assert (get_one(client, code).status, get_one(client, code).status_notes) == (
        "closed",
        "已评价",
    )


def test_status_mapping_of_all_13_statuses():
    closed = {s.value for s in IncidentStatus if georeport_status(s) == "closed"}
    assert closed == {"void", "closed", "evaluated"}
    assert len(IncidentStatus) == 13


def test_a_blind_retry_does_not_duplicate(client, engine, places):
    lon, lat, _ = places[2]
    fields = form(lon, lat, "0401", description="垃圾堆在路口三天了")
    first = call(client, "POST", "/requests.json", data=fields)
    before = counts(engine)
    again = call(client, "POST", "/requests.json", data=fields)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counts(engine) == before
    other = call(client, "POST", "/requests.json", data={**fields, "description": "又堆了"})
    assert other.status_code == 201
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]
    # an explicit key reused for different content is refused, naming the header
    headers = {"Idempotency-Key": "open311-test-key"}
    assert call(client, "POST", "/requests.json", data=fields, headers=headers).is_success
    before = counts(engine)
    response = call(client, "POST", "/requests.json", data=form(lon, lat, "0402"), headers=headers)
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("Idempotency-Key: ")
    assert counts(engine) == before


def test_json_body_is_accepted(client, places):
    lon, lat, _ = places[3]
    payload = {"service_code": "0606", "lat": lat, "long": lon, "api_key": "ignored-for-now"}
    response = call(client, "POST", "/requests.json", json=payload)
    assert response.status_code == 201, response.text
    assert get_one(client, response.json()[0]["service_request_id"]).service_code == "0606"


def test_far_outside_goes_to_the_banner_queue(client):
    response = call(client, "POST", "/requests.json", data=form(2.3522, 48.8566, "0101"))
    assert response.status_code == 201, response.text
    one = get_one(client, response.json()[0]["service_request_id"])
    assert one.address == "海勃湾区"  # the nearest of the two places to Paris, far to the west


def test_sensitive_requests_hide_description_and_blur_the_point(client, places):
    lon, lat, chain = places[4]
    fields = form(lon, lat, "0202", description="某户有人吸毒", media_url="https://e.x/1.jpg")
    response = call(client, "POST", "/requests.json", data=fields)
    one = get_one(client, response.json()[0]["service_request_id"])
    assert (one.description, one.media_url) == (None, None)
    assert (one.lat, one.long) == (round(lat, 3), round(lon, 3))
    assert one.address == " ".join(chain[:-1])  # down to the grid, not the micro-grid
    assert "吸毒" not in response.text + json.dumps(one.model_dump(), ensure_ascii=False)


BAD = [
    (form(110.0, 40.4, "9999"), "service_code", "valid codes: 0101 邻里纠纷"),
    ({"lat": "40.4", "long": "110.0"}, "service_code", "is required"),
    ({"service_code": "0101", "address_string": "树林召镇"}, "lat", "does not geocode"),
    ({"service_code": "0101", "lat": "40.4"}, "long", "is required"),
    (form(110.0, 95.0, "0101"), "lat", "out of range"),
    (form("NaN", 40.4, "0101"), "long", "finite"),
    (form(110.0, "四十", "0101"), "lat", "must be a number"),
    (form(40.4, 110.0, "0101"), "lat", "out of range"),
    (form(110.0, 40.4, "0101", phone="call me"), "phone", "digits"),
    (form(110.0, 40.4, "0101", description="纠" * 4001), "description", "at most 4,000"),
    (form(110.0, 40.4, "0101", media_url="javascript:alert(1)"), "media_url", "http"),
]


@pytest.mark.parametrize(("fields", "field", "words"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_names_the_field_and_writes_nothing(client, engine, fields, field, words):
    before = counts(engine)
    response = call(client, "POST", "/requests.json", data=fields)
    assert response.status_code == 400, response.text
    (error,) = Errors.validate_python(response.json())
    assert error.code == 400 and error.description.startswith(f"{field}: ")
    assert words in error.description
    assert counts(engine) == before


def test_nan_in_a_json_body_is_refused(client, engine):
    before = counts(engine)
    body = json.dumps({"service_code": "0101", "lat": float("nan"), "long": 110.0})
    headers = {"Content-Type": "application/json"}
    response = call(client, "POST", "/requests.json", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": "lat: must be a finite number, got nan"}
    ]
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "2026-11-01T00:00:00"}, "start_date"),
        ({"end_date": "yesterday"}, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "start_date"),
        ({"service_code": "01"}, "service_code"),
    ],
)
def test_bad_filters_answer_400(client, params, field):
    response = call(client, "GET", "/requests.json", params=params)
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith(f"{field}: ")


def test_unknown_request_is_404(client):
    response = call(client, "GET", "/requests/DLT-1999-000001.json")
    assert response.status_code == 404
    assert response.json() == [
        {"code": 404, "description": "service_request_id: 'DLT-1999-000001' does not exist"}
    ]


def test_xml_is_refused_and_the_native_errors_are_unchanged(client, engine, places):
    lon, lat, _ = places[0]
    for path in ("/services.xml", "/requests/DLT-2026-000001.xml", "/discovery.xml"):
        response = call(client, "GET", path)
        assert response.status_code == 406
        (error,) = Errors.validate_python(response.json())
        assert "only JSON is supported" in error.description
    before = counts(engine)
    response = call(client, "POST", "/requests.xml", data=form(lon, lat, "0101"))
    assert response.status_code == 406
    assert "requests.json" in response.json()[0]["description"]
    assert counts(engine) == before
    assert call(client, "GET", "/tokens/1.json").status_code == 404
    response = call(client, "DELETE", "/requests/DLT-2026-000001.json")
    assert (response.status_code, response.headers["Allow"]) == (405, "GET")
    native = client.get("/api/v1/incidents", params={"status": "pending"})
    assert native.status_code == 422
    assert native.json()["errors"][0]["field"] == "status"


def test_no_personal_data_in_any_open311_response(client, engine, posted):
    """Runs last: scans every response above for the reporters' and members' data."""
    code = posted["created"].service_request_id
    get_requests(client, service_request_id=code)
    with engine.connect() as conn:
        members = conn.execute(
            text(
                "SELECT m.name, m.phone FROM incident i "
                "JOIN member m ON m.area_id IN (i.grid_id, i.micro_grid_id) "
                "WHERE i.source = 'open311'"
            )
        ).all()
    assert members  # the posted requests have grid workers who must stay unnamed
    secrets = PERSONAL + [m.name for m in members] + [m.phone for m in members if m.phone]
    assert SEEN
    for body in SEEN:
        leaked = [secret for secret in secrets if secret in body]
        assert not leaked, f"{leaked} in {body[:200]}"
        assert not re.search(r'"(reporter\w*|phone|email|first_name|last_name|member)"', body)
