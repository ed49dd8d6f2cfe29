"""The fields of a report: the API, a file import and Open311 refuse the same bad values with
the same message (each under its own name for the field), and write nothing."""

from __future__ import annotations

import csv
import uuid

import pytest

from cases.imports.importer import import_incidents_in
from tests.helpers import counts

LON, LAT = 110.0, 40.4  # in micro-grid land; the point is never reached for a refused field
LONG_NAME = "张" * 101
PHONE = "must be a phone number: 3-20 digits, spaces or dashes, optionally after a leading +"
SHAPE = "must be a four-digit minor class code, e.g. 0101"
#: (case, message, {way: (field as that way names it, value)}): ways are api, import, open311
CASES = [
    (
        "description",
        "is 4,001 characters long; at most 4,000",
        {w: ("description", "纠" * 4001) for w in ("api", "import", "open311")},
    ),
    (
        "name",
        "is 101 characters long; at most 100",
        {
            "api": ("reporter.name", LONG_NAME),
            "import": ("reporter_name", LONG_NAME),
            "open311": ("first_name", LONG_NAME),
        },
    ),
    (
        "phone letters",
        PHONE,
        {
            "api": ("reporter.phone", "call me"),
            "import": ("reporter_phone", "call me"),
            "open311": ("phone", "call me"),
        },
    ),
    (
        "phone 21 characters",  # the pattern allows it after a +, the column holds 20
        PHONE,
        {
            "api": ("reporter.phone", "+" + "1" * 20),
            "import": ("reporter_phone", "+" + "1" * 20),
            "open311": ("phone", "+" + "1" * 20),
        },
    ),
    (
        "id number",
        "the check digit does not match the first 17 digits (GB 11643)",
        {
            "api": ("reporter.id_number", "150621198001011234"),
            "import": ("reporter_id_number", "150621198001011234"),
        },
    ),
    (
        "category shape",
        SHAPE,
        {w: (f, "01") for w, f in (("api", "category"), ("import", "category"))}
        | {"open311": ("service_code", "01")},
    ),
    (
        "media url",
        "must be an http:// or https:// URL",
        {"api": ("media.0.url", "javascript:alert(1)"), "open311": ("media_url", "ftp://x/1.jpg")},
    ),
    (
        "media url length",
        "is 2,001 characters long; at most 2,000",
        {
            "api": ("media.0.url", "https://" + "x" * 1993),
            "open311": ("media_url", "https://" + "x" * 1993),
        },
    ),
]


def _api(client, field: str, value: str) -> tuple[str, str]:
    body: dict = {"lon": LON, "lat": LAT, "datum": "wgs84", "category": "0101"}
    if field.startswith("reporter."):
        body["reporter"] = {field.split(".")[1]: value}
    elif field.startswith("media."):
        body["media"] = [{"url": value}]
    else:
        body[field] = value
    response = client.post(
        "/api/v1/incidents", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 422, response.text
    ((where, got, message),) = [
        (e["where"], e["field"], e["message"]) for e in response.json()["errors"]
    ]
    assert where == "body"
    return got, message


def _import(engine, tmp_path, field: str, value: str) -> tuple[str, str]:
    row = {"lon": LON, "lat": LAT, "datum": "wgs84", "category": "0101", field: value}
    path = tmp_path / "one.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    with engine.connect() as conn, conn.begin():
        report = import_incidents_in(conn, path, source="report-rules")
        conn.rollback()
    assert report.accepted == 0
    ((line, got, message),) = [(r.line, r.field, r.reason) for r in report.refused]
    assert line == 2
    return got, message


def _open311(client, field: str, value: str) -> tuple[str, str]:
    form = {"service_code": "0101", "lat": str(LAT), "long": str(LON), field: value}
    response = client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 400, response.text
    ((error),) = response.json()
    got, _, message = error["description"].partition(": ")
    return got, message


@pytest.mark.parametrize(("message", "ways"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_way_in_refuses_a_bad_field_in_the_same_words(
    client, engine, tmp_path, message, ways
):
    before = counts(engine)
    refuse = {"api": _api, "open311": _open311}
    for way, (field, value) in ways.items():
        if way == "import":
            answer = _import(engine, tmp_path, field, value)
        else:
            answer = refuse[way](client, field, value)
        assert answer == (field, message), way
    assert counts(engine) == before
