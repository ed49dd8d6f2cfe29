"""A report filed outside the reporter's scope (issue #12, item 3).

The rule: a resident may report anywhere, so the report is accepted; the answer (and its
replay) holds only what the reporter may see: possible duplicates they may read, the chain
cut to the areas above their own, no queue area, tied codes or member outside their scope;
and they may read what they filed (its trail cut to the status changes), while anyone else
outside the scope still gets the missing answer.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from api.schemas import Incident

URL = "/api/v1/incidents"
MISSING = "DLT-1999-000001"


def _file(client, headers, lon, lat, key=None):
    payload = {"lon": lon, "lat": lat, "datum": "cgcs2000", "category": "0101"}
    headers = {**headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return client.post(URL, json=payload, headers=headers)


@pytest.fixture(scope="module")
def away(engine, accounts):
    """A point in the peer party member's micro-grid, in the next township (150621002)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :c AND generation_high IS NULL) s"
            ),
            {"c": accounts["party_member_peer"].area_code},
        ).one()
    return float(row[0]), float(row[1])


@pytest.fixture(scope="module")
def earlier(client, away):
    """A dispute the admin filed there first: a duplicate for anyone who may read it."""
    response = _file(client, {}, *away)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("username", ["grid_worker", "party_member"])
def test_a_report_outside_the_scope_answers_only_what_the_reporter_sees(
    client, auth, accounts, away, earlier, username
):
    key = str(uuid.uuid4())
    first = _file(client, auth(username), *away, key=key)
    assert first.status_code == 201, first.text
    mine = Incident.model_validate(first.json()).model_dump(exclude_none=False)
    full = client.get(f"{URL}/{mine['code']}").json()  # as the admin sees it
    banner = full["assignment"]["chain"][0]
    assert banner["level"] == "banner"
    assert [link["level"] for link in full["assignment"]["chain"]] == [
        "banner", "township", "village", "grid", "micro_grid",
    ]  # fmt: skip
    assert full["responsible"]["member"] is not None
    assert full["assignment"]["queue_area"]["code"] == accounts["party_member_peer"].area_code

    answer = first.json()
    assert answer["possible_duplicates"] == []  # the admin's earlier report is not theirs
    assert answer["assignment"]["chain"] == [banner]
    assert answer["assignment"]["queue_area"] is None
    assert answer["assignment"]["tied_codes"] == []
    assert answer["responsible"]["member"] is None
    assert answer["responsible"]["department"] == full["responsible"]["department"]
    assert answer["location"] == full["location"]
    assert answer["status"] == "reported"

    replay = _file(client, auth(username), *away, key=key)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == answer

    read = client.get(f"{URL}/{mine['code']}", headers=auth(username))
    assert read.status_code == 200, read.text
    body = read.json()
    assert {k: v for k, v in body.items() if k != "events"} == {
        k: v for k, v in answer.items() if k != "possible_duplicates"
    }
    assert body["events"] == [
        {
            "at": full["events"][0]["at"],
            "actor": None,
            "kind": "reported",
            "action": None,
            "attachments": None,
            "from_status": None,
            "to_status": "reported",
            "from_area": None,
            "to_area": None,
            "from_member_id": None,
            "to_member_id": None,
            "from_department": None,
            "to_department": None,
            "reason": None,
            "data": None,
        }
    ]


def test_the_admin_still_sees_the_duplicates_and_everything(client, away, earlier):
    answer = _file(client, {}, *away)
    assert answer.status_code == 201
    body = answer.json()
    assert earlier["code"] in [d["code"] for d in body["possible_duplicates"]]
    assert len(body["assignment"]["chain"]) == 5
    assert body["responsible"]["member"] is not None


def test_a_report_inside_the_scope_is_answered_in_full(client, auth, engine, accounts):
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :c AND generation_high IS NULL) s"
            ),
            {"c": accounts["party_member"].area_code},
        ).one()
    # a point of its own, a few metres off the one other tests file at, so that the ten
    # nearest possible duplicates surely hold this test's first report
    lat += 0.00003
    first = _file(client, {}, lon, lat)
    mine = _file(client, auth("party_member"), lon, lat)
    assert mine.status_code == 201, mine.text
    body = mine.json()
    assert [link["level"] for link in body["assignment"]["chain"]] == [
        "banner", "township", "village", "grid", "micro_grid",
    ]  # fmt: skip
    assert body["assignment"]["queue_area"]["code"] == accounts["party_member"].area_code
    assert body["responsible"]["member"] is not None
    assert first.json()["code"] in [d["code"] for d in body["possible_duplicates"]]
    full = client.get(f"{URL}/{body['code']}", headers=auth("party_member")).json()
    assert full["events"][0]["actor"] == "party_member"


def test_only_the_reporter_reads_a_report_filed_outside_their_scope(client, auth, away):
    filed = _file(client, auth("grid_worker"), *away).json()["code"]
    missing = client.get(f"{URL}/{MISSING}", headers=auth("party_member"))
    other = client.get(f"{URL}/{filed}", headers=auth("party_member"))
    assert other.status_code == missing.status_code == 404
    assert other.text.replace(filed, "<id>") == missing.text.replace(MISSING, "<id>")
    reveal = client.post(
        f"{URL}/{filed}/reveal",
        json={"reason": "核实上报人联系方式"},
        headers=auth("grid_worker"),
    )
    assert reveal.status_code in (403, 404)  # reading what one filed is no right to reveal
