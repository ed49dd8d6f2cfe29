"""The 三二一 mediation ladder (issue #14, WORKFLOW.md §5) through its API.

Each test files its own fresh disputes (0101 邻里纠纷 in the demo party member's micro-grid,
inside the demo mediator's village of 树林召镇) and walks them with the demo accounts: the grid
worker takes the dispute in (the case climbs from the micro-grid to the village), the village
mediator records the village attempts, the township officer the township's, the command seat
the banner's. Deadlines are checked against the working calendar's arithmetic on the limits
asserted here (village and township 2 WD, banner 7 WD).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from access.audit import Actor
from cases.intake import Report, submit
from cases.loop import calendar
from cases.loop.calendar import CHINA
from cases.mediation.privacy import WITHHELD
from cases.mediation.sweep import sweep_mediation

URL = "/api/v1/incidents"
MEDIATOR = {"name": "王调解", "role": "调委会主任", "committee": "村人民调解委员会"}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=CHINA)


@pytest.fixture(scope="module")
def point(engine, accounts) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :c AND generation_high IS NULL) s"
            ),
            {"c": accounts["party_member"].area_code},
        ).one()
    return float(row[0]), float(row[1])


@pytest.fixture(scope="module")
def made(engine) -> Iterator[list[str]]:
    """The disputes this module filed; at its end their case clocks are stopped and their
    ladders closed, so a later sweep over the whole database does not find them waiting."""
    codes: list[str] = []
    yield codes
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE incident SET status = 'void', step_due_at = NULL, card = 'none' "
                "WHERE code = ANY(:codes)"
            ),
            {"codes": codes},
        )
        conn.execute(
            text(
                "UPDATE mediation_file SET outcome = 'withdrawn', ended_at = now() "
                "WHERE outcome IS NULL AND incident_id IN "
                "(SELECT id FROM incident WHERE code = ANY(:codes))"
            ),
            {"codes": codes},
        )


@pytest.fixture
def dispute(engine, accounts, point, made, client, auth):
    """``dispute()``: the code of a fresh 0101 dispute, accepted by the grid worker."""

    def make(category: str = "0101") -> str:
        report = Report(
            lon=point[0], lat=point[1], datum="cgcs2000", category=category, description="邻里纠纷"
        )
        outcome = submit(
            engine,
            report,
            idempotency_key=str(uuid.uuid4()),
            nearest_limit_m=500.0,
            actor=Actor("grid_worker", "grid_worker"),
            owner=accounts["grid_worker"].id,
        )
        code = str(outcome.body["code"])
        made.append(code)
        headers = {**auth("grid_worker"), "If-Match": '"1"'}
        accepted = client.post(f"{URL}/{code}/actions", json={"action": "accept"}, headers=headers)
        assert accepted.status_code == 200, accepted.text
        return code

    return make


def post(client, auth, code: str, who: str, path: str = "", **body: Any):
    return client.post(f"{URL}/{code}/mediation{path}", json=body, headers=auth(who))


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def intake(client, auth, code: str, who: str = "grid_worker", **extra: Any) -> dict[str, Any]:
    """Open the file as ``who``; the file as the village mediator reads it (the grid worker
    gets a receipt: the family dispute has left its level)."""
    body = {"source": "application", "summary": "相邻排水纠纷", "intake_on": "2026-11-02"}
    receipt = ok(post(client, auth, code, who, **{**body, **extra}))
    if receipt.get("receipt"):  # a family or neighbour dispute: only where it stands now
        assert set(receipt) == {"code", "level", "rung", "receipt"}
    else:
        assert receipt["code"] == code and "attempts" in receipt
    return ok(client.get(f"{URL}/{code}/mediation", headers=auth("mediator")))


def attempt(client, auth, code, who, level, held_at, outcome="not_settled", **extra):
    body = {
        "level": level,
        "held_at": held_at.isoformat(),
        "mediators": [MEDIATOR],
        "participants": ["张三", "李四"],
        "record": "双方陈述事实，调解员释法说理。",
        "outcome": outcome,
        **extra,
    }
    return post(client, auth, code, who, "/attempts", **body)


def level_of(engine, code: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT level FROM incident WHERE code = :c"), {"c": code}
            ).scalar_one()
        )


def rows(engine) -> tuple[int, ...]:
    """What a refused request must not change."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM mediation_file), "
                    "(SELECT count(*) FROM mediation_attempt), "
                    "(SELECT count(*) FROM mediation_agreement), "
                    "(SELECT count(*) FROM incident_event), (SELECT sum(version) FROM incident)"
                )
            ).one()
        )


def test_the_ladders_limits_are_data(conn):
    found = conn.execute(
        text("SELECT level, max_attempts, amount, unit FROM mediation_limit ORDER BY amount, level")
    ).all()
    assert [tuple(r) for r in found] == [
        ("township", 2, Decimal(2), "work_days"),
        ("village", 3, Decimal(2), "work_days"),
        ("banner", 1, Decimal(7), "work_days"),
        ("ladder", None, Decimal(30), "days"),
    ]


def test_a_dispute_walks_village_3_township_2_banner_1(
    client, auth, engine, dispute, point, accounts
):
    code = dispute()
    assert level_of(engine, code) == "micro_grid"
    file = intake(client, auth, code, rights_notified=True, rights_notified_on="2026-11-02")
    assert (file["level"], file["rung"], file["intake"]["on"]) == (
        "village",
        "village",
        "2026-11-02",
    )
    assert file["rights"] == {"notified": True, "on": "2026-11-02"}
    ok(
        post(
            client,
            auth,
            code,
            "mediator",
            "/parties",
            side="applicant",
            name="张三",
            phone="13912345678",
        )
    )
    ok(post(client, auth, code, "mediator", "/parties", side="respondent", name="李四"))
    levels = []
    walk = [
        ("mediator", "village", at(3), {"lon": point[0], "lat": point[1], "datum": "cgcs2000"}),
        ("mediator", "village", at(4), {}),
        ("mediator", "village", at(5), {}),
        ("township", "township", at(6), {}),
        ("township", "township", at(9), {}),
    ]
    for who, level, held, where in walk:
        file = ok(attempt(client, auth, code, who, level, held, **where))
        levels.append(level_of(engine, code))
    assert levels == ["village", "village", "township", "township", "banner"]
    file = ok(attempt(client, auth, code, "command", "banner", at(12), "settled"))
    assert level_of(engine, code) == "banner"
    assert [(a["level"], a["rung"], a["held_at"]) for a in file["attempts"]] == [
        ("village", 1, "2026-11-03T02:00:00+00:00"),
        ("village", 2, "2026-11-04T02:00:00+00:00"),
        ("village", 3, "2026-11-05T02:00:00+00:00"),
        ("township", 1, "2026-11-06T02:00:00+00:00"),
        ("township", 2, "2026-11-09T02:00:00+00:00"),
        ("banner", 1, "2026-11-12T02:00:00+00:00"),
    ]
    with engine.connect() as conn:
        starts = [datetime(2026, 11, 2, tzinfo=CHINA), at(3), at(4), at(5), at(6), at(9)]
        limits = [2, 2, 2, 2, 2, 7]
        due = [
            calendar.add_working(conn, s, Decimal(n), "work_days").isoformat()
            for s, n in zip(starts, limits, strict=True)
        ]
    assert [datetime.fromisoformat(a["due_at"]) for a in file["attempts"]] == [
        datetime.fromisoformat(d) for d in due
    ]
    assert due[0] == "2026-11-03T18:00:00+08:00"  # two working days from the intake day's start
    assert [(r["level"], r["used"], r["max_attempts"]) for r in file["ladder"]] == [
        ("village", 3, 3), ("township", 2, 2), ("banner", 1, 1),
    ]  # fmt: skip
    assert (file["outcome"], file["ended_at"]) == ("settled", "2026-11-12T02:00:00+00:00")
    held_in = [a["micro_grid"] for a in file["attempts"]]
    assert held_in == [accounts["party_member"].area_code, None, None, None, None, None]
    assert [p["name"] for p in file["parties"]] == ["张*", "李*"]
    assert file["parties"][0]["phone"] == "139****5678"
    file = ok(
        post(client, auth, code, "command", "/agreement", form="written", terms="甲方疏通排水沟")
    )
    assert file["agreement"] | {} == {
        "level": "banner", "rung": 1, "form": "written", "terms": "甲方疏通排水沟",
        "effective_on": "2026-11-12", "confirmation_due": "2026-12-12",
        "confirmation": "pending", "confirmation_on": None,
    }  # fmt: skip
    file = ok(post(client, auth, code, "command", "/follow-up", called_on="2026-11-20",
                   performed="yes", satisfaction="satisfied", remaining_risk="none"))  # fmt: skip
    assert file["follow_ups"][0]["performed"] == "yes"
    trail = ok(client.get(f"{URL}/{code}", headers=auth("command")))["events"]
    ups = [e["data"]["level"] for e in trail if e["action"] == "escalate"]
    assert ups == [
        {"from": "micro_grid", "to": "grid"},
        {"from": "grid", "to": "village"},
        {"from": "village", "to": "township"},
        {"from": "township", "to": "banner"},
    ]
    steps = [e["reason"] for e in trail if e["action"] == "mediation_attempt"]
    assert steps[0] == "第1次村级调解：未达成" and steps[-1] == "第1次旗级调解：调解成功"


def test_a_red_risk_skips_a_rung_at_once(client, auth, engine, dispute):
    code = dispute()
    file = intake(client, auth, code, risk="red")
    assert (file["level"], file["rung"], file["intake"]["risk"]) == ("township", "township", "red")
    assert level_of(engine, code) == "township"
    trail = ok(client.get(f"{URL}/{code}", headers=auth("command")))["events"]
    assert [e["data"] for e in trail if e["action"] == "escalate"] == [
        {"level": {"from": "micro_grid", "to": "township"}, "skip": {"reason": "red_risk"}}
    ]
    ok(attempt(client, auth, code, "township", "township", at(3)))
    assert level_of(engine, code) == "banner"  # still red: an unsettled attempt climbs at once


def test_a_unit_party_lifts_a_village_dispute_to_the_township(client, auth, engine, dispute):
    code = dispute()
    intake(client, auth, code)
    file = ok(post(client, auth, code, "mediator", "/parties", side="respondent", kind="unit",
                   name="某建筑公司"))  # fmt: skip
    assert (file["rung"], level_of(engine, code)) == ("township", "township")
    assert file["parties"][0]["name"] == "某建筑公司"


def test_a_refusal_climbs_before_the_attempts_are_used_up(client, auth, engine, dispute):
    code = dispute()
    intake(client, auth, code)
    ok(attempt(client, auth, code, "mediator", "village", at(3), refused=True))
    assert level_of(engine, code) == "township"


def error(response, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field], body
    return body


def test_bad_steps_are_refused_naming_the_field_and_write_nothing(client, auth, engine, dispute):
    code = dispute()
    intake(client, auth, code)
    before = rows(engine)
    error(attempt(client, auth, code, "mediator", "township", at(3)), 422, "level")
    error(attempt(client, auth, code, "township", "township", at(3)), 422, "level")
    future = datetime.now(CHINA) + timedelta(days=1)
    error(attempt(client, auth, code, "mediator", "village", future), 422, "held_at")
    error(attempt(client, auth, code, "mediator", "village", at(1)), 422, "held_at")
    error(
        post(client, auth, code, "mediator", "/agreement", form="oral", terms="口头"),
        422,
        "outcome",
    )
    assert rows(engine) == before
    ok(attempt(client, auth, code, "mediator", "village", at(3)))
    error(
        post(client, auth, code, "mediator", "/agreement", form="oral", terms="口头"),
        422,
        "outcome",
    )
    ok(attempt(client, auth, code, "mediator", "village", at(4)))
    ok(attempt(client, auth, code, "mediator", "village", at(5)))
    before = rows(engine)
    fourth = error(attempt(client, auth, code, "mediator", "village", at(6)), 422, "level")
    assert "village" in fourth["detail"]
    assert rows(engine) == before
    error(post(client, auth, code, "mediator", **{"source": "police", "summary": "x"}), 422, "code")
    unknown = {"side": "applicant", "member_id": 2**31 - 1}
    error(post(client, auth, code, "mediator", "/parties", **unknown), 422, "member_id")
    error(post(client, auth, code, "township", "/follow-up", performed="yes",
               satisfaction="satisfied", remaining_risk="none"), 422, "performed")  # fmt: skip
    assert rows(engine) == before


def test_a_future_intake_date_is_refused(client, auth, engine, dispute):
    code = dispute()
    before = rows(engine)
    tomorrow = (datetime.now(CHINA) + timedelta(days=1)).date().isoformat()
    error(
        post(client, auth, code, "grid_worker", source="police", summary="x", intake_on=tomorrow),
        422,
        "intake_on",
    )
    assert rows(engine) == before


def test_a_private_dispute_is_hidden_from_all_but_its_mediators_and_holder(client, auth, dispute):
    code = dispute()
    intake(client, auth, code)
    for who in ("mediator", "admin", "township", "command"):
        assert client.get(f"{URL}/{code}/mediation", headers=auth(who)).status_code == 200
    for who in ("department", "grid_worker_peer", "township_peer", "grid_worker", "party_member",
                "planner"):  # fmt: skip
        response = client.get(f"{URL}/{code}/mediation", headers=auth(who))
        assert response.status_code == 404, (who, response.text)
    stats = ok(client.get("/api/v1/mediation/stats", headers=auth("department")))
    assert set(stats) >= {"accepted", "settled", "levels", "types"}
    assert "张" not in str(stats) and "phone" not in str(stats)


def test_a_land_dispute_is_read_by_the_township_and_not_by_a_department(client, auth, dispute):
    code = dispute("0103")
    intake(client, auth, code)
    assert client.get(f"{URL}/{code}/mediation", headers=auth("township")).status_code == 200
    assert client.get(f"{URL}/{code}/mediation", headers=auth("department")).status_code == 404


def test_the_sweep_reminds_once(client, auth, engine, dispute, conn):
    code = dispute()
    intake(client, auth, code)
    ok(attempt(client, auth, code, "mediator", "village", at(3)))
    incident_id = conn.execute(
        text("SELECT id FROM incident WHERE code = :c"), {"c": code}
    ).scalar_one()
    now = datetime(2026, 12, 4, 12, tzinfo=CHINA)
    sweep_mediation(conn, now)
    second = sweep_mediation(conn, now + timedelta(minutes=5))
    assert second == Counter()
    reminders = conn.execute(
        text(
            "SELECT data->>'kind', reason FROM incident_event WHERE incident_id = :i "
            "AND action = 'mediation_reminder' ORDER BY id"
        ),
        {"i": incident_id},
    ).all()
    assert [tuple(r) for r in reminders] == [
        ("attempt_late", "本级调解已超期，请调解或上提"),
        ("ladder_late", "调解已超过30日总时限"),
    ]


def test_the_incident_routes_withhold_a_private_disputes_detail(client, auth, dispute):
    code = dispute()
    intake(client, auth, code)
    body = ok(client.get(f"{URL}/{code}", headers=auth("department")))
    assert (body["description"], body["reporter"], body["media"]) == (WITHHELD, None, [])
    assert [e["reason"] for e in body["events"]] == [None] * len(body["events"])
    listed = ok(
        client.get(URL, params={"category": "0101", "limit": 500}, headers=auth("department"))
    )
    assert listed["items"] and {i["description"] for i in listed["items"]} == {WITHHELD}
    features = ok(
        client.get(
            URL, params={"category": "0102", "format": "geojson"}, headers=auth("department")
        )
    )["features"]
    assert features and {f["properties"]["description"] for f in features} == {WITHHELD}
    assert ok(client.get(f"{URL}/{code}", headers=auth("mediator")))["description"] == "邻里纠纷"
    for who, action, extra in (
        ("command", "file", {}),
        ("command", "dispatch", {"department_code": "D02"}),
        ("department", "sign", {}),
    ):
        version = ok(client.get(f"{URL}/{code}", headers=auth("command")))["version"]
        headers = {**auth(who), "If-Match": f'"{version}"'}
        answer = ok(
            client.post(f"{URL}/{code}/actions", json={"action": action, **extra}, headers=headers)
        )
    assert (answer["status"], answer["description"]) == ("in_progress", WITHHELD)
    land = ok(client.get(URL, params={"category": "0103", "limit": 5}, headers=auth("command")))
    assert WITHHELD not in {i["description"] for i in land["items"]}


def test_the_demo_mediator_serves_the_demo_townships_first_village(accounts, conn):
    first = conn.execute(
        text(
            "SELECT min(code) FROM area WHERE level = 'village' AND code LIKE '150621001%' "
            "AND generation_high IS NULL"
        )
    ).scalar_one()
    mediator = accounts["mediator"]
    assert (mediator.role.value, mediator.area_code, mediator.display_name) == (
        "mediator",
        first,
        "村人民调解委员会调解员",
    )
