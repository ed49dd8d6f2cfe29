"""The whistle (街道吹哨、部门报到, issue #14, WORKFLOW.md §3) on real PostGIS.

Domain tests run in the ``conn`` fixture's rolled-back transaction with the clock given
explicitly; API tests commit, so the module releases every whistle it blew at its end (an
open one would be found by a later module's supervision sweep). The distances are checked
against pyproj's geodesic, an oracle independent of PostGIS.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import psycopg
import pytest
from pyproj import Geod
from shapely import wkt
from sqlalchemy import text

from access.accounts import Role
from access.audit import Actor
from api.broadcast import Subscriber, conninfo
from api.whistle_schemas import CheckInOut, ConflictList, Whistle, WhistleList
from cases import live
from cases.loop import supervision
from cases.loop.calendar import CHINA, at
from cases.whistle import attend, blow, read, scores
from cases.whistle.supervision import sweep_whistles
from geo.scope import WHOLE_BANNER, Scope

URL = "/api/v1/whistles"
GEOD = Geod(ellps="WGS84")
COMMAND = SimpleNamespace(role=Role.COMMAND, scope=WHOLE_BANNER, actor=Actor("command", "command"))
D02 = SimpleNamespace(
    role=Role.DEPARTMENT, scope=Scope(department="D02"), actor=Actor("department", "department")
)


def officer(code: str) -> SimpleNamespace:
    return SimpleNamespace(
        role=Role.DEPARTMENT, scope=Scope(department=code), actor=Actor(f"o_{code}", "department")
    )


@pytest.fixture(scope="module")
def cases_d02(engine) -> list[SimpleNamespace]:
    """Open sample cases of the demo township 树林召镇 routed to 司法局 D02: code, the case's
    point, and its area's polygon (shapely, CGCS2000)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, "
                "ST_AsText(q.geom) AS area "
                "FROM incident i JOIN area q ON q.id = i.queue_area_id "
                "JOIN department d ON d.id = i.department_id "
                "WHERE d.code = 'D02' AND q.code LIKE '150621001%' "
                "AND i.status NOT IN ('closed', 'evaluated', 'void') ORDER BY i.id LIMIT 4"
            )
        ).all()
    assert len(rows) == 4
    return [
        SimpleNamespace(code=r.code, lon=r.lon, lat=r.lat, area=wkt.loads(r.area)) for r in rows
    ]


@pytest.fixture(scope="module", autouse=True)
def release_at_end(engine) -> Iterator[None]:
    with engine.connect() as conn:
        before = conn.execute(text("SELECT coalesce(max(id), 0) FROM whistle")).scalar_one()
    yield
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE whistle SET released_at = now() WHERE id > :b AND released_at IS NULL"),
            {"b": before},
        )


def east(lon: float, lat: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, 90.0, metres)
    return float(x), float(y)


def blown(conn, case, kind="emergency", when=None, **extra) -> dict[str, Any]:
    body = {"code": case.code, "kind": kind, "reason": "测试吹哨"} | extra
    return blow.blow(conn, COMMAND, body, at=when)


# --- where: on site or not ------------------------------------------------------------------


def test_150_m_outside_the_area_with_200_m_accuracy_is_on_site_500_m_is_not(conn, cases_d02):
    case = cases_d02[0]
    whistle = blown(conn, case, assisting_departments=["D01"])
    assert whistle["meeting"] is None and whistle["area"]["type"] in ("Polygon", "MultiPolygon")
    # the area's easternmost vertex: every point of the area lies west of it
    vertex = max(
        case.area.exterior.coords
        if hasattr(case.area, "exterior")
        else [c for g in case.area.geoms for c in g.exterior.coords],
        key=lambda c: c[0],
    )
    near = east(vertex[0], vertex[1], 150.0)
    far = east(vertex[0], vertex[1], 500.0)
    body = {"datum": "cgcs2000", "accuracy": 200}
    _, first, new = attend.check_in(
        conn, D02, whistle["id"], body | {"lon": near[0], "lat": near[1]}
    )
    assert new and first["judgement"] == "on_time"
    assert first["distance_m"] == pytest.approx(150.0, abs=0.5)
    _, second, _ = attend.check_in(conn, D02, whistle["id"], body | {"lon": far[0], "lat": far[1]})
    assert second["judgement"] == "outside"
    assert second["distance_m"] == pytest.approx(500.0, abs=0.5)
    attended = read.whistle(conn, whistle["id"])["departments"]
    assert [(d["code"], d["lead"], d["attendance"], d["checkins"]) for d in attended] == [
        ("D02", True, "arrived", 2),
        ("D01", False, "awaiting", 0),
    ]


def test_a_meeting_point_is_buffered_by_200_m_when_no_accuracy_is_given(conn, cases_d02):
    case = cases_d02[1]
    whistle = blown(
        conn, case, kind="joint_enforcement", lon=case.lon, lat=case.lat, datum="cgcs2000"
    )
    assert whistle["meeting"] == pytest.approx({"lon": case.lon, "lat": case.lat})
    judged = []
    for metres in (199.0, 201.0):
        x, y, _ = GEOD.fwd(case.lon, case.lat, 0.0, metres)
        _, c, _ = attend.check_in(
            conn, D02, whistle["id"], {"lon": x, "lat": y, "datum": "cgcs2000"}
        )
        judged.append((c["judgement"], c["distance_m"]))
    assert judged == [
        ("on_time", pytest.approx(199.0, abs=0.1)),
        ("outside", pytest.approx(201.0, abs=0.1)),
    ]


# --- when: deadlines, late, absent, the sweep -------------------------------------------------


def _dues(conn, whistle_id: int) -> list[tuple[datetime, datetime | None, datetime]]:
    return [
        tuple(t.astimezone(CHINA) if t else None for t in r)
        for r in conn.execute(
            text(
                "SELECT acknowledge_due, respond_due, arrive_due FROM whistle_department "
                "WHERE whistle_id = :w ORDER BY lead DESC"
            ),
            {"w": whistle_id},
        )
    ]


def test_deadlines_emergency_30_minutes_general_2_working_days_across_a_weekend(conn, cases_d02):
    friday = at(2026, 12, 4, 15, 0)
    emergency = blown(conn, cases_d02[0], "emergency", friday, assisting_departments=[])
    general = blown(conn, cases_d02[0], "beyond_township", friday, assisting_departments=[])
    assert _dues(conn, emergency["id"]) == [
        (at(2026, 12, 4, 15, 10), None, at(2026, 12, 4, 15, 30))
    ]
    # respond: one working day (Monday 15:00); on site: two (Tuesday 15:00), the weekend skipped
    assert _dues(conn, general["id"]) == [
        (at(2026, 12, 4, 15, 10), at(2026, 12, 7, 15, 0), at(2026, 12, 8, 15, 0))
    ]


def test_late_and_absent(conn, cases_d02):
    t = at(2026, 12, 3, 10, 0)
    whistle = blown(conn, cases_d02[0], "emergency", t, assisting_departments=["D01"])
    point = {"lon": cases_d02[0].lon, "lat": cases_d02[0].lat, "datum": "cgcs2000", "accuracy": 20}
    _, c, _ = attend.check_in(conn, D02, whistle["id"], point, at=t + timedelta(minutes=31))
    assert c["judgement"] == "late"
    view = read.whistle(conn, whistle["id"], now=t + timedelta(minutes=31))
    assert [(d["code"], d["attendance"]) for d in view["departments"]] == [
        ("D02", "late"),
        ("D01", "absent"),
    ]
    on_time = blown(conn, cases_d02[0], "emergency", t, assisting_departments=[])
    _, c, _ = attend.check_in(conn, D02, on_time["id"], point, at=t + timedelta(minutes=30))
    assert c["judgement"] == "on_time"


def test_the_sweep_notices_each_overdue_step_once(conn, cases_d02):
    t = datetime.now(CHINA).replace(microsecond=0) - timedelta(hours=2)
    whistle = blown(conn, cases_d02[0], "emergency", t, assisting_departments=["D01", "D05"])
    attend.acknowledge(conn, D02, whistle["id"], at=t + timedelta(minutes=5))
    attend.acknowledge(conn, officer("D01"), whistle["id"], at=t + timedelta(minutes=12))
    point = {"lon": cases_d02[0].lon, "lat": cases_d02[0].lat, "datum": "cgcs2000"}
    attend.check_in(conn, D02, whistle["id"], point, at=t + timedelta(minutes=20))
    assert sweep_whistles(conn, t + timedelta(minutes=9)) == Counter()
    # at 31 minutes: D05 never acknowledged; D01 and D05 are not on site (D01's late
    # acknowledgement is not overdue any more)
    assert sweep_whistles(conn, t + timedelta(minutes=31)) == Counter(
        {"whistle_acknowledge": 1, "whistle_arrive": 2}
    )
    assert sweep_whistles(conn, t + timedelta(minutes=32)) == Counter()
    notices = conn.execute(
        text(
            "SELECT d.code, n.kind FROM whistle_notice n "
            "JOIN department d ON d.id = n.department_id WHERE n.whistle_id = :w ORDER BY 1, 2"
        ),
        {"w": whistle["id"]},
    ).all()
    assert [tuple(n) for n in notices] == [
        ("D01", "arrive"),
        ("D05", "acknowledge"),
        ("D05", "arrive"),
    ]


def test_the_one_supervision_sweep_runs_the_whistle_sweep(conn, cases_d02):
    t = datetime.now(CHINA).replace(microsecond=0) - timedelta(hours=1)
    blown(conn, cases_d02[0], "emergency", t, assisting_departments=[])
    issued = supervision.sweep(conn, t + timedelta(minutes=31))
    assert issued is not None
    assert {k: v for k, v in issued.items() if k.startswith("whistle_")} == {
        "whistle_acknowledge": 1,
        "whistle_arrive": 1,
    }


def test_a_released_whistle_or_a_closed_case_is_not_swept(conn, cases_d02):
    t = datetime.now(CHINA).replace(microsecond=0) - timedelta(hours=1)
    whistle = blown(conn, cases_d02[0], "emergency", t, assisting_departments=[])
    attend.release(conn, COMMAND, whistle["id"], at=t + timedelta(minutes=1))
    blown(conn, cases_d02[1], "emergency", t, assisting_departments=[])
    assert sweep_whistles(conn, t + timedelta(minutes=40)) == Counter(
        {"whistle_acknowledge": 1, "whistle_arrive": 1}
    )
    blown(conn, cases_d02[2], "emergency", t, assisting_departments=[])
    conn.execute(
        text("UPDATE incident SET status = 'closed' WHERE code = :c"), {"c": cases_d02[2].code}
    )
    assert sweep_whistles(conn, t + timedelta(minutes=40)) == Counter()


# --- retries --------------------------------------------------------------------------------


def test_a_retried_check_in_is_recorded_once(conn, cases_d02):
    whistle = blown(conn, cases_d02[0])
    point = {
        "lon": cases_d02[0].lon,
        "lat": cases_d02[0].lat,
        "datum": "cgcs2000",
        "client_id": "phone-1",
    }
    _, first, new1 = attend.check_in(conn, D02, whistle["id"], point)
    _, again, new2 = attend.check_in(conn, D02, whistle["id"], point | {"accuracy": 30})
    assert (new1, new2) == (True, False) and again == first
    by_key = [
        attend.check_in(conn, D02, whistle["id"], point, idempotency_key="k1")[2] for _ in range(2)
    ]
    assert by_key == [True, False]
    rows = conn.execute(
        text("SELECT count(*) FROM whistle_checkin WHERE whistle_id = :w"), {"w": whistle["id"]}
    ).scalar_one()
    assert rows == 2


def _count(engine, whistle_id: int | None = None) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM whistle), (SELECT count(*) FROM whistle_checkin),"
                    " (SELECT count(*) FROM whistle_score), (SELECT count(*) FROM audit_log)"
                )
            ).one()
        )


def _blow_api(client, auth, code: str, who: str = "township", **extra) -> dict[str, Any]:
    body = {"code": code, "kind": "emergency", "reason": "联合处置测试", **extra}
    response = client.post(URL, json=body, headers=auth(who))
    assert response.status_code == 201, response.text
    return Whistle.model_validate(response.json()).model_dump()


def test_two_concurrent_identical_check_ins_are_one_row(
    live_server, auth, engine, cases_d02, client
):
    whistle = _blow_api(client, auth, cases_d02[2].code, assisting_departments=[])
    body = {"lon": cases_d02[2].lon, "lat": cases_d02[2].lat, "datum": "cgcs2000", "accuracy": 15}
    headers = auth("department") | {"Idempotency-Key": str(uuid.uuid4())}
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as c:
            barrier.wait()
            answers.append(c.post(f"{URL}/{whistle['id']}/check-ins", json=body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    bodies = [CheckInOut.model_validate(a.json()) for a in answers]
    assert bodies[0].check_in == bodies[1].check_in
    assert sorted(b.replayed for b in bodies) == [False, True]
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM whistle_checkin WHERE whistle_id = :w"),
                {"w": whistle["id"]},
            ).scalar_one()
            == 1
        )


# --- who: scopes and roles --------------------------------------------------------------------


def test_who_may_blow_and_who_sees_a_whistle(client, auth, engine, cases_d02):
    code = cases_d02[3].code
    for who in ("grid_worker", "party_member", "planner"):
        before = _count(engine)
        response = client.post(
            URL, json={"code": code, "kind": "emergency", "reason": "x"}, headers=auth(who)
        )
        assert response.status_code == 403, (who, response.text)
        assert _count(engine) == before
    before = _count(engine)
    response = client.post(
        URL, json={"code": code, "kind": "emergency", "reason": "x"}, headers=auth("township_peer")
    )
    assert response.status_code == 404 and code in response.json()["detail"]
    assert _count(engine) == before
    whistle = _blow_api(client, auth, code, assisting_departments=["D05"])
    assert [d["code"] for d in whistle["departments"]] == ["D02", "D05"]
    path = f"{URL}/{whistle['id']}"
    seen = {
        who: client.get(path, headers=auth(who)).status_code
        for who in (
            "command",
            "township",
            "department",
            "department_peer",
            "township_peer",
            "grid_worker",
        )
    }
    assert seen == {
        "command": 200,
        "township": 200,
        "department": 200,
        "department_peer": 404,
        "township_peer": 404,
        "grid_worker": 404,
    }
    listed = WhistleList.model_validate(client.get(URL, headers=auth("department_peer")).json())
    assert whistle["id"] not in [w.id for w in listed.items]
    listed = WhistleList.model_validate(
        client.get(URL, params={"code": code}, headers=auth("department")).json()
    )
    assert whistle["id"] in [w.id for w in listed.items]


def test_refused_check_ins_name_the_field_and_write_nothing(client, auth, engine, cases_d02):
    whistle = _blow_api(client, auth, cases_d02[3].code, assisting_departments=[])
    path = f"{URL}/{whistle['id']}/check-ins"
    good = {"lon": cases_d02[3].lon, "lat": cases_d02[3].lat, "datum": "wgs84", "accuracy": 20}
    cases = [
        ("department", {"datum": "wgs84", "accuracy": 20}, 422, "lon"),
        ("department", good | {"accuracy": 800}, 422, "accuracy"),
        ("department", good | {"accuracy": -1}, 422, "accuracy"),
        ("department", good | {"datum": None}, 422, "datum"),
        ("department_peer", good, 404, None),
        ("command", good, 403, None),
    ]
    for who, body, status, field in cases:
        before = _count(engine)
        body = {k: v for k, v in body.items() if v is not None}
        response = client.post(path, json=body, headers=auth(who))
        assert response.status_code == status, (who, body, response.text)
        if field:
            assert [e["field"] for e in response.json()["errors"]] == [field]
        assert _count(engine) == before


def test_release_score_and_their_refusals(client, auth, engine, cases_d02):
    whistle = _blow_api(client, auth, cases_d02[3].code, assisting_departments=["D05"])
    path = f"{URL}/{whistle['id']}"
    point = {"lon": cases_d02[3].lon, "lat": cases_d02[3].lat, "datum": "cgcs2000"}
    assert (
        client.post(f"{path}/check-ins", json=point, headers=auth("department")).status_code == 201
    )
    item = {"department_code": "D02", "criterion": "efficiency", "score": 90, "reason": "到场快"}
    before = _count(engine)
    early = client.post(f"{path}/scores", json={"scores": [item]}, headers=auth("township"))
    assert early.status_code == 409 and _count(engine) == before
    assert client.post(f"{path}/release", headers=auth("department")).status_code == 403
    released = client.post(f"{path}/release", headers=auth("township"))
    assert released.status_code == 200 and released.json()["status"] == "released"
    before = _count(engine)
    again = client.post(f"{path}/release", headers=auth("township"))
    assert again.status_code == 409 and _count(engine) == before
    late = client.post(f"{path}/check-ins", json=point, headers=auth("department"))
    assert late.status_code == 409 and _count(engine) == before
    refusals = [
        ([item | {"score": 101}], 422, "scores.0.score"),
        ([item, item | {"department_code": "D05"}], 422, "scores.1.department_code"),
        ([item | {"criterion": "speed"}], 422, "scores.0.criterion"),
    ]
    for items, status, field in refusals:
        response = client.post(f"{path}/scores", json={"scores": items}, headers=auth("township"))
        assert response.status_code == status, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert _count(engine) == before
    three = [
        item,
        item | {"criterion": "handling", "score": 85},
        item | {"criterion": "satisfaction", "score": 95},
    ]
    scored = client.post(f"{path}/scores", json={"scores": three}, headers=auth("township"))
    assert scored.status_code == 201, scored.text
    got = Whistle.model_validate(scored.json()).scores
    assert [(s.department_code, s.criterion, s.score) for s in got] == [
        ("D02", "efficiency", 90),
        ("D02", "handling", 85),
        ("D02", "satisfaction", 95),
    ]
    before = _count(engine)
    twice = client.post(f"{path}/scores", json={"scores": [item]}, headers=auth("township"))
    assert twice.status_code == 409 and _count(engine) == before


def test_a_department_summoned_twice_at_once_is_a_conflict(client, auth, cases_d02):
    first = _blow_api(client, auth, cases_d02[0].code, assisting_departments=["D07"])
    second = _blow_api(client, auth, cases_d02[1].code, assisting_departments=["D07"])
    found = ConflictList.model_validate(
        client.get(f"{URL}/conflicts", headers=auth("command")).json()
    ).items
    d07 = next(c for c in found if c.department_code == "D07")
    assert d07.whistles[-2:] == [first["id"], second["id"]]
    peer = client.get(f"{URL}/conflicts", headers=auth("township_peer")).json()["items"]
    assert all(first["id"] not in c["whistles"] for c in peer)
    client.post(f"{URL}/{first['id']}/release", headers=auth("township"))
    found = client.get(f"{URL}/conflicts", headers=auth("command")).json()["items"]
    assert all(first["id"] not in c["whistles"] for c in found)


def test_a_department_leaving_before_the_release_is_recorded(conn, cases_d02):
    whistle = blown(conn, cases_d02[0], assisting_departments=[])
    view = attend.depart(conn, D02, whistle["id"])
    assert view["departments"][0]["left_early"] is True


def test_the_live_event_reaches_the_area_and_the_summoned_departments_only(conn, cases_d02):
    whistle = blown(conn, cases_d02[0], assisting_departments=["D05"])
    event = live.whistle("checked_in", whistle, department="D02", judgement="on_time")
    assert set(event) == {
        "kind",
        "event",
        "id",
        "code",
        "status",
        "queue_area",
        "departments",
        "department",
        "judgement",
        "overdue",
        "lon",
        "lat",
    }
    assert event["departments"] == ["D02", "D05"] and event["queue_area"] == whistle["area_code"]
    sees = {
        name: Subscriber(scope=scope).wants(event)
        for name, scope in {
            "command": WHOLE_BANNER,
            "township": Scope(area_prefix="150621001"),
            "peer township": Scope(area_prefix="150621002"),
            "D05": Scope(department="D05"),
            "D01": Scope(department="D01"),
        }.items()
    }
    assert sees == {
        "command": True,
        "township": True,
        "peer township": False,
        "D05": True,
        "D01": False,
    }


def test_scores_are_append_only(conn, cases_d02):
    whistle = blown(conn, cases_d02[0], assisting_departments=[])
    point = {"lon": cases_d02[0].lon, "lat": cases_d02[0].lat, "datum": "cgcs2000"}
    attend.check_in(conn, D02, whistle["id"], point)
    attend.release(conn, COMMAND, whistle["id"])
    item = {"department_code": "D02", "criterion": "handling", "score": 70, "reason": "一般"}
    scores.score(conn, COMMAND, whistle["id"], [item])
    with pytest.raises(Exception, match="append-only"), conn.begin_nested():
        conn.execute(
            text("UPDATE whistle_score SET score = 100 WHERE whistle_id = :w"), {"w": whistle["id"]}
        )


def test_a_phone_number_in_a_reason_comes_out_masked(conn, cases_d02):
    whistle = blown(
        conn, cases_d02[0], reason="联系人电话13912345678，请速到", assisting_departments=[]
    )
    assert "13912345678" not in str(whistle) and whistle["reason"].startswith("联系人电话139")
    assert "13912345678" not in str(read.whistles(conn, WHOLE_BANNER, code=cases_d02[0].code))


def test_a_department_blowing_between_departments_sees_and_releases_its_whistle(
    client, auth, cases_d02
):
    # the demo department (D02) summons two others, not itself
    body = {
        "code": cases_d02[3].code,
        "kind": "joint_enforcement",
        "reason": "部门间吹哨",
        "lead_department": "D05",
        "assisting_departments": ["D07"],
    }
    blown_ = client.post(URL, json=body, headers=auth("department"))
    assert blown_.status_code == 201, blown_.text
    whistle = blown_.json()
    assert [d["code"] for d in whistle["departments"]] == ["D05", "D07"]
    path = f"{URL}/{whistle['id']}"
    assert client.get(path, headers=auth("department")).status_code == 200
    assert client.get(path, headers=auth("department_peer")).status_code == 404  # D01
    assert (
        client.post(
            f"{path}/check-ins",
            json={"lon": cases_d02[3].lon, "lat": cases_d02[3].lat, "datum": "cgcs2000"},
            headers=auth("department"),
        ).status_code
        == 403
    )
    released = client.post(f"{path}/release", headers=auth("department"))
    assert released.status_code == 200 and released.json()["status"] == "released"


def test_each_step_is_one_notification_on_the_live_channel(client, auth, database, cases_d02):
    listener = psycopg.connect(conninfo(database.service_url), autocommit=True)
    listener.execute(f'LISTEN "{live.CHANNEL}"')
    try:
        whistle = _blow_api(client, auth, cases_d02[2].code, assisting_departments=["D05"])
        point = {"lon": cases_d02[2].lon, "lat": cases_d02[2].lat, "datum": "cgcs2000"}
        path = f"{URL}/{whistle['id']}"
        assert (
            client.post(f"{path}/check-ins", json=point, headers=auth("department")).status_code
            == 201
        )
        assert client.post(f"{path}/release", headers=auth("township")).status_code == 200
        events = []  # among whatever else the channel carries (the service's own sweep)
        for notice in listener.notifies(timeout=10):
            event = json.loads(notice.payload)
            if event.get("kind") == "whistle" and event.get("id") == whistle["id"]:
                events.append(event)
            if len(events) == 3:
                break
    finally:
        listener.close()
    same = {
        "kind": "whistle", "id": whistle["id"], "code": cases_d02[2].code,
        "queue_area": whistle["area_code"], "departments": ["D02", "D05"], "overdue": [],
        "lon": whistle["point"]["lon"], "lat": whistle["point"]["lat"],
    }  # fmt: skip
    assert events == [
        same | {"event": "blown", "status": "open", "department": None, "judgement": None},
        same
        | {"event": "checked_in", "status": "open", "department": "D02", "judgement": "on_time"},
        same | {"event": "released", "status": "released", "department": None, "judgement": None},
    ]
