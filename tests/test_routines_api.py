"""The routines over HTTP: a grid worker's visit to a sample household, refusals with the
field named and nothing written, meetings and the council's agenda, names always masked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.helpers import contacts_removed, counts, households_in


@pytest.fixture
def household(engine, accounts):
    """A sample household of the demo grid worker's grid and its micro-grid; the contacts the
    test writes are deleted afterwards."""
    with engine.connect() as conn:
        (row,) = households_in(conn, accounts["grid_worker"].area_code)
    with contacts_removed(engine):
        yield row


def _contacts(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM contact")).scalar_one()


def test_a_visit_shows_as_the_micro_grids_last_contact(client, auth, engine, household):
    headers = auth("grid_worker")
    body = {
        "households": [household.code],
        "channel": "visit",
        "needs": "咨询医保缴费",
        "lon": 110.0,
        "lat": 40.4,
        "datum": "wgs84",
    }
    response = client.post("/api/v1/visits", json=body, headers=headers)
    assert response.status_code == 201, response.text
    visit = response.json()
    assert visit["households"] == [household.code]
    assert visit["micro_grid"] == household.micro_grid
    assert visit["member"]["name"].endswith("*")
    params = {"level": "micro_grid", "within": household.micro_grid}
    area = client.get("/api/v1/coverage", params=params, headers=headers).json()["areas"][0]
    assert area["last_contact"] == visit["at"]
    assert area["uncovered"] == 0 or area["members"] == 0
    listed = client.get(
        "/api/v1/visits", params={"household": household.code}, headers=headers
    ).json()
    assert listed[0]["id"] == visit["id"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, 422, "at"),
        ({"at": "2026-12-01T09:00:00"}, 422, "at"),
        ({"channel": "letter"}, 422, "channel"),
        ({"households": []}, 422, "households"),
        ({"lon": 400.0, "lat": 40.4, "datum": "wgs84"}, 422, "lon"),
        ({"lon": 110.0, "lat": 40.4}, 422, "datum"),
        ({"incident_codes": ["DLT-1999-000001"]}, 422, "incident_codes.0"),
        ({"households": ["HH9999999"]}, 404, None),
    ],
)
def test_a_refused_visit_names_its_field_and_writes_nothing(
    client, auth, engine, household, change, status, field
):
    before = (_contacts(engine), counts(engine))
    body = {"households": [household.code], "channel": "phone", **change}
    response = client.post("/api/v1/visits", json=body, headers=auth("grid_worker"))
    assert response.status_code == status, response.text
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]]
    assert (_contacts(engine), counts(engine)) == before


def test_a_household_outside_the_area_is_not_found_and_a_non_member_may_not_visit(
    client, auth, engine, household, accounts
):
    with engine.connect() as conn:
        (elsewhere,) = households_in(conn, accounts["grid_worker"].area_code, outside=True)
    before = _contacts(engine)
    body = {"households": [elsewhere.code], "channel": "visit"}
    outside = client.post("/api/v1/visits", json=body, headers=auth("grid_worker"))
    assert outside.status_code == 404
    assert outside.json()["code"] == "not_found"
    admin = client.post(
        "/api/v1/visits", json={"households": [household.code], "channel": "visit"},
        headers=auth("admin"),
    )  # fmt: skip
    assert admin.status_code == 403
    planner = client.post(
        "/api/v1/visits", json={"households": [household.code], "channel": "visit"},
        headers=auth("planner"),
    )  # fmt: skip
    assert planner.status_code == 403
    assert _contacts(engine) == before


def test_meetings_and_the_agenda(client, auth, engine, accounts):
    headers = auth("township")
    township = accounts["township"].area_code
    with engine.connect() as conn:
        village = conn.execute(
            text(
                "SELECT code FROM area WHERE level = 'village' AND generation_high IS NULL "
                "AND left(code, length(:t)) = :t ORDER BY code LIMIT 1"
            ),
            {"t": township},
        ).scalar_one()
    agenda = client.get(
        "/api/v1/meetings/agenda", params={"village": village, "month": "2026-11"}, headers=headers
    )
    assert agenda.status_code == 200, agenda.text
    body = agenda.json()
    assert body["counts"]["reported"] == len(body["items"])
    assert body["counts"]["settled"] + body["counts"]["open"] == len(body["items"])
    for params, field in (({"village": village, "month": "2026/11"}, "month"),
                          ({"village": "15", "month": "2026-11"}, "village")):  # fmt: skip
        refused = client.get("/api/v1/meetings/agenda", params=params, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == field
    listed = client.get(
        "/api/v1/meetings", params={"area": village, "kind": "village_council", "limit": 3},
        headers=headers,
    )  # fmt: skip
    assert listed.status_code == 200
    councils = listed.json()
    assert len(councils) == 3 and all(m["area"]["code"] == village for m in councils)
    assert all(name.endswith("*") for m in councils for name in m["attendees"])
    before = counts(engine)
    wrong = client.post(
        "/api/v1/meetings",
        json={"kind": "grid_meeting", "area_code": village, "at": "2026-11-28T19:00:00+08:00"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "area_code"
    assert counts(engine) == before


def test_my_area_is_the_members_own(client, auth, accounts):
    mine = client.get("/api/v1/my-area/households", headers=auth("grid_worker"))
    assert mine.status_code == 200
    body = mine.json()
    assert body["member_id"] == accounts["grid_worker"].member_id
    assert all(g["code"].startswith(body["area_code"]) for g in body["micro_grids"])
    rows = [h for g in body["micro_grids"] for h in g["household_list"]]
    assert rows and all(h["head"] is None or h["head"].endswith("*") for h in rows)
    party = client.get("/api/v1/my-area/households", headers=auth("party_member")).json()
    tags = {t["tag"] for g in party["micro_grids"] for h in g["household_list"] for t in h["tags"]}
    assert not tags & {"community_correction", "drug_rehab", "mental_health"}  # P3
    assert client.get("/api/v1/my-area/households", headers=auth("command")).status_code == 403


def _case_visit(household, **case) -> dict:
    return {
        "households": [household.code],
        "channel": "phone",
        "needs": "反映邻居装修噪音",
        "case": {"category": "0101", "description": "邻里装修噪音纠纷", **case},
    }


def test_a_visit_opens_a_case_in_the_same_request_once_per_key(client, auth, engine, household):
    headers = {**auth("grid_worker"), "Idempotency-Key": str(uuid.uuid4())}
    before = (_contacts(engine), counts(engine)[0])
    first = client.post("/api/v1/visits", json=_case_visit(household), headers=headers)
    assert first.status_code == 201, first.text
    visit = first.json()
    code = visit["case"]["code"]
    assert visit["incident_codes"] == [code] and visit["case"]["replayed"] is False
    with engine.connect() as conn:
        case = conn.execute(
            text(
                "SELECT i.category_code, i.description, i.source, a.code AS micro_grid, i.status "
                "FROM incident i JOIN area a ON a.id = i.micro_grid_id WHERE i.code = :c"
            ),
            {"c": code},
        ).one()
        stored = conn.execute(
            text("SELECT incident_codes FROM contact WHERE id = :id"), {"id": visit["id"]}
        ).scalar_one()
    # a call has no position: the case lies at the household's house, in its micro-grid
    assert tuple(case) == ("0101", "邻里装修噪音纠纷", "visit", household.micro_grid, "reported")
    assert stored == [code] and visit["case"]["status"] == "reported"
    again = client.post("/api/v1/visits", json=_case_visit(household), headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == visit["id"] and again.json()["case"] == {
        "code": code, "status": "reported", "replayed": True
    }  # fmt: skip
    assert (_contacts(engine), counts(engine)[0]) == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize(
    ("change", "case", "status", "field"),
    [
        ({}, {"category": "0199"}, 422, "case.category"),
        ({}, {"category": "01"}, 422, "case.category"),
        ({}, {"description": ""}, 422, "case.description"),
        ({"at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, {}, 422, "at"),
        ({"households": ["HH9999999"]}, {}, 404, None),
        ({"key": None}, {}, 400, "Idempotency-Key"),
    ],
)
def test_a_refused_visit_or_case_writes_neither(
    client, auth, engine, household, change, case, status, field
):
    before = (_contacts(engine), counts(engine))
    headers = auth("grid_worker")
    if change.pop("key", "") is not None:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    body = {**_case_visit(household, **case), **change}
    response = client.post("/api/v1/visits", json=body, headers=headers)
    assert response.status_code == status, response.text
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]]
    assert (_contacts(engine), counts(engine)) == before
