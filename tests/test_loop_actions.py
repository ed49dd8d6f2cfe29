"""Actions on cases (issue #13, WORKFLOW.md §1) through ``POST /api/v1/incidents/{code}/actions``.

Each test files its own fresh cases (a dispute, 0101 邻里纠纷, routed to 司法局 D02, in the demo
party member's micro-grid of 树林召镇), so the sample history is left as it is. Photos are
attachment rows written here (the upload endpoint is another branch's); deadlines are checked
against the calendar's arithmetic on the limits asserted here (0101: 72 h → 3 working days).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from access.audit import Actor
from api.schemas import Incident
from cases.intake import Report, submit
from cases.loop import calendar
from cases.loop.table import ACTIONS, EVALUATIONS, allowed_actions
from cases.models import IncidentStatus

URL = "/api/v1/incidents"


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
    """The codes this module filed; at its end their clocks are stopped (status void, no step
    deadline), so that a later module's supervision sweep over the whole database does not
    find this module's cases waiting (the trail is append-only: they cannot be removed)."""
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


@pytest.fixture
def new_case(engine, accounts, point, made):
    """``new_case()``: the code of a fresh incident (status reported, version 1)."""

    def make(category: str = "0101") -> str:
        report = Report(
            lon=point[0], lat=point[1], datum="cgcs2000", category=category, description="测试"
        )
        outcome = submit(
            engine,
            report,
            idempotency_key=str(uuid.uuid4()),
            nearest_limit_m=500.0,
            actor=Actor("grid_worker", "grid_worker"),
            owner=accounts["grid_worker"].id,
        )
        made.append(str(outcome.body["code"]))
        return made[-1]

    return make


def photo(engine, code: str, username: str) -> int:
    """An attachment row of incident ``code`` uploaded by ``username``."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO attachment (sha256, media_type, bytes, incident_id, uploaded_by) "
                    "SELECT :h, 'image/jpeg', 2048, id, :u FROM incident WHERE code = :c "
                    "RETURNING id"
                ),
                {"h": "ab" * 32, "u": username, "c": code},
            ).scalar_one()
        )


def get(client, auth, code: str, who: str = "command") -> dict[str, Any]:
    response = client.get(f"{URL}/{code}", headers=auth(who))
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    return response.json()


def act(client, auth, code: str, who: str, action: str, version: int | None = None, **fields):
    if version is None:
        version = get(client, auth, code)["version"]
    headers = {**auth(who), "If-Match": f'"{version}"'}
    return client.post(f"{URL}/{code}/actions", json={"action": action, **fields}, headers=headers)


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    Incident.model_validate(body)
    assert response.headers["ETag"] == f'"{body["version"]}"'
    return body


def written(engine, code: str) -> tuple[int, int, int]:
    """(version, trail entries, audit rows) of incident ``code``."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT i.version, "
                    "(SELECT count(*) FROM incident_event WHERE incident_id = i.id), "
                    "(SELECT count(*) FROM audit_log WHERE object_type = 'incident' "
                    "AND object_id = i.code) FROM incident i WHERE i.code = :c"
                ),
                {"c": code},
            ).one()
        )


def trail(engine, code: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT e.kind, e.action, e.actor, e.from_status, e.to_status, e.reason, e.data, "
                "e.attachments, ST_X(e.where_geom) AS lon, ST_Y(e.where_geom) AS lat "
                "FROM incident_event e JOIN incident i ON i.id = e.incident_id "
                "WHERE i.code = :c ORDER BY e.id"
            ),
            {"c": code},
        ).all()


def column(engine, code: str, name: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            text(f"SELECT {name} FROM incident WHERE code = :c"), {"c": code}
        ).scalar_one()


def names(body: dict[str, Any]) -> list[str]:
    return [a["name"] for a in body["actions"]]


def test_a_new_case_lists_what_each_role_may_do(client, auth, new_case):
    code = new_case()
    command = get(client, auth, code)
    assert command["version"] == 1 and command["status"] == "reported"
    assert (command["card"], command["level"], command["urgent"]) == ("none", "micro_grid", False)
    assert command["actions"] == [
        {"name": "accept", "label": "受理"},
        {"name": "void", "label": "不予立案"},
        {"name": "card", "label": "督办亮牌"},
    ]
    assert command["deadlines"]["step"] == "accept"
    assert command["deadlines"]["deadline_at"] == command["deadline_at"]
    assert names(get(client, auth, code, "grid_worker")) == ["accept", "void"]
    assert names(get(client, auth, code, "department")) == []
    assert names(get(client, auth, code, "party_member")) == []


def test_the_whole_loop(client, auth, engine, new_case, point):
    code = new_case()
    body = ok(act(client, auth, code, "grid_worker", "accept", 1))
    assert (body["status"], body["version"]) == ("accepted", 2)
    assert names(body) == ["void", "self_handle", "escalate"]
    body = ok(act(client, auth, code, "command", "file", 2))
    assert names(body) == ["dispatch", "escalate", "card"]
    body = ok(act(client, auth, code, "command", "dispatch", 3, department_code="D02"))
    assert (body["status"], body["deadlines"]["step"]) == ("dispatched", "sign")
    started = column(engine, code, "handling_started_at")
    with engine.connect() as conn:
        handle_due = calendar.add_working(conn, started, Decimal(3), "work_days")
        sign_due = calendar.add_working(conn, started, Decimal(1), "work_days")
    assert datetime.fromisoformat(body["deadline_at"]) == handle_due
    assert datetime.fromisoformat(body["step_due_at"]) == sign_due
    body = ok(act(client, auth, code, "department", "sign", 4))
    assert body["status"] == "in_progress" and body["step_due_at"] == body["deadline_at"]
    assert names(body) == ["handle", "hang", "apply_delay"]
    body = ok(act(client, auth, code, "department", "apply_delay", 5, delay_days=3, reason="材料"))
    assert (body["status"], body["delay_state"]) == ("in_progress", "applied")
    body = ok(act(client, auth, code, "command", "decide_delay", 6, approve=True))
    with engine.connect() as conn:
        delayed = calendar.add_working(conn, handle_due, Decimal(3), "work_days")
    assert body["delay_state"] == "approved"
    assert datetime.fromisoformat(body["deadline_at"]) == delayed
    shot = photo(engine, code, "department")
    body = ok(
        act(client, auth, code, "department", "handle", 7, reason="已调解", attachments=[shot])
    )
    assert (body["status"], body["deadlines"]["step"]) == ("handled", "verify")
    lon, lat = point
    body = ok(
        act(
            client,
            auth,
            code,
            "grid_worker",
            "verify",
            8,
            approve=True,
            lon=lon,
            lat=lat,
            datum="cgcs2000",
        )
    )
    assert (body["status"], body["closed_level"]) == ("closed", "micro_grid")
    body = ok(act(client, auth, code, "party_member", "evaluate", 9, evaluation="satisfied"))
    assert (body["status"], body["evaluation"], body["version"]) == ("evaluated", "satisfied", 10)
    assert body["actions"] == [] and body["deadlines"]["remaining_s"] is None

    entries = [e for e in trail(engine, code) if e.kind == "action"]
    assert [(e.action, e.actor, e.from_status, e.to_status) for e in entries] == [
        ("accept", "grid_worker", "reported", "accepted"),
        ("file", "command", "accepted", "filed"),
        ("dispatch", "command", "filed", "dispatched"),
        ("sign", "department", "dispatched", "in_progress"),
        ("apply_delay", "department", "in_progress", "in_progress"),
        ("decide_delay", "command", "in_progress", "in_progress"),
        ("handle", "department", "in_progress", "handled"),
        ("verify", "grid_worker", "handled", "closed"),
        ("evaluate", "party_member", "closed", "evaluated"),
    ]
    assert entries[4].data == {"delay_days": 3} and entries[4].reason == "材料"
    assert entries[6].attachments == [
        {"id": shot, "sha256": "ab" * 32, "type": "image/jpeg", "bytes": 2048}
    ]
    assert (entries[7].lon, entries[7].lat) == (
        pytest.approx(lon, abs=1e-9),
        pytest.approx(lat, abs=1e-9),
    )
    assert entries[6].lon is None
    assert entries[8].data == {"evaluation": "satisfied"}
    with engine.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT action, actor, before ->> 'status', after ->> 'status' FROM audit_log "
                "WHERE object_type = 'incident' AND object_id = :c AND action <> 'incident.create' "
                "ORDER BY id"
            ),
            {"c": code},
        ).all()
    assert [tuple(a) for a in audited] == [
        (f"incident.{e.action}", e.actor, e.from_status, e.to_status) for e in entries
    ]
    events = get(client, auth, code)["events"]
    assert [e["kind"] for e in events].count("action") == 9


def refused(response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field]
    return body


def test_refusals_write_nothing(client, auth, engine, new_case):
    code = new_case()
    before = written(engine, code)
    refused(act(client, auth, code, "command", "fly", 1), 422, "invalid", "action")
    no_version = client.post(
        f"{URL}/{code}/actions", json={"action": "accept"}, headers=auth("command")
    )
    refused(no_version, 428, "version_required", "If-Match")
    stale = refused(act(client, auth, code, "command", "accept", 7), 412, "version_mismatch")
    assert stale["version"] == 1
    refused(act(client, auth, code, "party_member", "accept", 1), 403, "forbidden")
    conflict = refused(act(client, auth, code, "command", "file", 1), 409, "conflict")
    assert (conflict["status"], conflict["allowed"]) == ("reported", ["accept", "void", "card"])
    for outsider in ("grid_worker_peer", "department_peer", "township_peer"):
        refused(act(client, auth, code, outsider, "accept", 1), 404, "not_found")
    refused(act(client, auth, code, "command", "void", 1), 422, "invalid", "reason")
    refused(act(client, auth, code, "command", "void", 1, reason="  "), 422, "invalid", "reason")
    refused(
        act(client, auth, code, "command", "card", 1, reason="慢", card="green"), 422, "invalid"
    )
    assert written(engine, code) == before

    ok(act(client, auth, code, "command", "accept", 1))
    ok(act(client, auth, code, "command", "file", 2))
    refused(act(client, auth, code, "command", "dispatch", 3), 422, "invalid", "department_code")
    refused(
        act(client, auth, code, "command", "dispatch", 3, department_code="D99"),
        422,
        "invalid",
        "department_code",
    )
    ok(act(client, auth, code, "command", "dispatch", 3, department_code="D02"))
    ok(act(client, auth, code, "department", "sign", 4))
    before = written(engine, code)
    for days in (0, 11, 2.5):
        refused(
            act(client, auth, code, "department", "apply_delay", 5, delay_days=days, reason="x"),
            422,
            "invalid",
            "delay_days",
        )
    refused(
        act(client, auth, code, "department", "handle", 5, reason="好"),
        422,
        "invalid",
        "attachments",
    )
    theirs = photo(engine, code, "grid_worker")
    refused(
        act(client, auth, code, "department", "handle", 5, reason="好", attachments=[theirs]),
        422,
        "invalid",
        "attachments",
    )
    other = new_case()
    elsewhere = photo(engine, other, "department")
    refused(
        act(client, auth, code, "department", "handle", 5, reason="好", attachments=[elsewhere]),
        422,
        "invalid",
        "attachments",
    )
    refused(act(client, auth, code, "command", "decide_delay", 5, approve=True), 409, "conflict")
    assert written(engine, code) == before


def test_return_hang_resume_redispatch_and_transfers(client, auth, engine, new_case):
    code = new_case()
    for who, action, fields in [
        ("command", "accept", {}),
        ("command", "file", {}),
        ("command", "dispatch", {"department_code": "D02"}),
    ]:
        ok(act(client, auth, code, who, action, **fields))
    first_due = column(engine, code, "deadline_at")
    body = ok(act(client, auth, code, "department", "return", reason="非本单位职责"))
    assert names(get(client, auth, code)) == ["dispatch", "hang", "escalate", "card"]
    body = ok(act(client, auth, code, "command", "dispatch", department_code="D02"))
    assert body["transfers"] == 1 and body["level"] == "micro_grid"
    assert column(engine, code, "deadline_at") == first_due  # the clock started at dispatch
    ok(act(client, auth, code, "township", "return", reason="非本单位职责"))
    ok(act(client, auth, code, "command", "dispatch", department_code="D02"))
    ok(act(client, auth, code, "department", "return", reason="仍非本单位"))
    body = ok(act(client, auth, code, "command", "dispatch", department_code="D02"))
    assert (body["transfers"], body["level"]) == (3, "grid")  # the 3rd transfer goes up
    ok(act(client, auth, code, "department", "sign"))
    body = ok(act(client, auth, code, "department", "hang", reason="待资金"))
    assert body["status"] == "hung" and body["deadlines"]["remaining_s"] is None
    assert column(engine, code, "hung_since") is not None
    body = ok(act(client, auth, code, "command", "resume"))
    assert body["status"] == "in_progress" and column(engine, code, "hung_since") is None
    ok(act(client, auth, code, "department", "hang", reason="待资金"))
    body = ok(act(client, auth, code, "command", "close", reason="已书面说明"))
    assert (body["status"], body["closed_level"]) == ("closed", "grid")


def test_self_handle_verify_fail_rework_escalate_reopen_and_card(
    client, auth, engine, new_case, point
):
    lon, lat = point
    where = {"lon": lon, "lat": lat, "datum": "cgcs2000"}
    code = new_case()
    ok(act(client, auth, code, "grid_worker", "accept"))
    refused(act(client, auth, code, "grid_worker", "self_handle"), 422, "invalid", "attachments")
    shot = photo(engine, code, "grid_worker")
    body = ok(act(client, auth, code, "grid_worker", "self_handle", attachments=[shot], **where))
    assert (body["status"], body["closed_level"]) == ("closed", "micro_grid")

    sensitive = new_case("0102")  # 婚姻家庭纠纷: never closed on the spot
    ok(act(client, auth, sensitive, "grid_worker", "accept"))
    assert "self_handle" not in names(get(client, auth, sensitive, "grid_worker"))
    refused(act(client, auth, sensitive, "grid_worker", "self_handle", **where), 409, "conflict")

    code = new_case()
    for who, action, fields in [
        ("command", "accept", {}),
        ("command", "file", {}),
        ("command", "dispatch", {"department_code": "D02"}),
        ("department", "sign", {}),
    ]:
        ok(act(client, auth, code, who, action, **fields))
    ok(
        act(
            client,
            auth,
            code,
            "department",
            "handle",
            reason="已处理",
            attachments=[photo(engine, code, "department")],
        )
    )
    refused(
        act(client, auth, code, "grid_worker", "verify", approve=False, **where),
        422,
        "invalid",
        "reason",
    )
    body = ok(
        act(client, auth, code, "grid_worker", "verify", approve=False, reason="未修好", **where)
    )
    assert body["status"] == "rework" and names(body) == ["escalate"]  # the grid worker's
    assert names(get(client, auth, code)) == ["resume", "escalate", "card"]
    body = ok(act(client, auth, code, "command", "resume"))
    assert body["status"] == "in_progress"
    for level in ("grid", "village", "township", "banner"):
        body = ok(act(client, auth, code, "command", "escalate", reason="本级无法解决"))
        assert body["level"] == level
    refused(act(client, auth, code, "command", "escalate", reason="再上"), 409, "conflict")
    body = ok(act(client, auth, code, "command", "card", card="yellow", reason="超期"))
    assert body["card"] == "yellow" and body["status"] == "in_progress"
    ok(
        act(
            client,
            auth,
            code,
            "department",
            "handle",
            reason="已处理",
            attachments=[photo(engine, code, "department")],
        )
    )
    ok(act(client, auth, code, "command", "verify", approve=True, **where))
    refused(
        act(client, auth, code, "party_member", "reopen", reason="不满意"),
        422,
        "invalid",
        "evaluation",
    )
    body = ok(act(client, auth, code, "party_member", "evaluate", evaluation="dissatisfied"))
    assert names(get(client, auth, code, "party_member")) == ["reopen"]
    body = ok(act(client, auth, code, "party_member", "reopen", reason="问题依旧"))
    assert (body["status"], body["reopened_count"], body["closed_level"]) == ("reopened", 1, None)
    ok(act(client, auth, code, "command", "resume"))
    ok(
        act(
            client,
            auth,
            code,
            "department",
            "handle",
            reason="再处理",
            attachments=[photo(engine, code, "department")],
        )
    )
    ok(act(client, auth, code, "grid_worker", "verify", approve=True, **where))
    ok(act(client, auth, code, "party_member", "evaluate", evaluation="dissatisfied"))
    once = refused(
        act(client, auth, code, "party_member", "reopen", reason="还是不行"), 409, "conflict"
    )
    assert (once["status"], once["allowed"]) == ("evaluated", [])


def test_void_and_request_check(client, auth, engine, new_case):
    code = new_case()
    ok(act(client, auth, code, "command", "accept"))
    body = ok(act(client, auth, code, "command", "request_check", reason="请网格员核实"))
    assert body["status"] == "reported"
    body = ok(act(client, auth, code, "grid_worker", "void", reason="重复上报"))
    assert (body["status"], body["actions"]) == ("void", [])
    assert trail(engine, code)[-1].reason == "重复上报"


def test_each_action_sends_a_changed_event(engine, client, auth, new_case):
    code = new_case()
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("LISTEN incidents")
        ok(act(client, auth, code, "command", "accept"))
        heard = [n.payload for n in pg.notifies(timeout=2, stop_after=1)]
    assert len(heard) == 1
    message = json.loads(heard[0])
    assert (message["kind"], message["code"], message["status"]) == ("changed", code, "accepted")
    assert message["department"] == "D02"


def test_two_actions_on_one_version_one_wins(live_server, auth, new_case):
    code = new_case()
    answers: list[int] = []
    start = threading.Barrier(2)

    def accept(who: str) -> None:
        headers = {**auth(who), "If-Match": '"1"'}
        with httpx.Client(base_url=live_server, timeout=30) as http:
            start.wait()
            answers.append(
                http.post(
                    f"{URL}/{code}/actions", json={"action": "accept"}, headers=headers
                ).status_code
            )

    threads = [threading.Thread(target=accept, args=(w,)) for w in ("command", "grid_worker")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 412]


def test_actions_waiting_on_a_held_case_leave_locate_its_connections(
    live_server, auth, engine, new_case, point
):
    """Actions run on the event loop's small pool, which ``GET /locate`` reads with. While
    another transaction holds a case's row, more actions on it than that pool has
    connections wait, and still ``/locate`` answers at once; released, one action wins and
    the rest are told the version moved (412)."""
    from geo.db import READ_POOL_SIZE

    code = new_case()
    waiting = READ_POOL_SIZE + 2
    answers: list[int] = []

    def accept() -> None:
        headers = {**auth("command"), "If-Match": '"1"'}
        with httpx.Client(base_url=live_server, timeout=60) as http:
            answers.append(
                http.post(
                    f"{URL}/{code}/actions", json={"action": "accept"}, headers=headers
                ).status_code
            )

    threads = [threading.Thread(target=accept) for _ in range(waiting)]
    with engine.connect() as holder:
        holder.execute(text("SELECT 1 FROM incident WHERE code = :c FOR UPDATE"), {"c": code})
        for t in threads:
            t.start()
        with httpx.Client(base_url=live_server, timeout=60) as http:
            wait_for_lock_waiters(engine, code, at_least=2)
            located = http.get(
                "/api/v1/locate",
                params={"lon": point[0], "lat": point[1], "datum": "cgcs2000"},
                headers=auth("command"),
                timeout=5,
            )
        assert located.status_code == 200, located.text
        assert answers == []  # all still waiting on the held row
        holder.rollback()
    for t in threads:
        t.join()
    assert sorted(answers) == [200] + [412] * (waiting - 1)


def wait_for_lock_waiters(engine, code: str, at_least: int) -> None:
    """Until ``at_least`` backends wait for a row lock of ``incident``."""
    import time

    query = text(  # a row's first waiter waits for its holder's transaction, the rest for it
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', 'tuple')"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(query).scalar_one() >= at_least:
                return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} actions on {code} wait for its lock")


def test_list_filters_by_card_and_due(client, auth, engine, new_case):
    code = new_case()
    ok(act(client, auth, code, "command", "card", card="red", reason="群众反映强烈"))
    red = client.get(URL, params={"card": "red", "limit": 500}, headers=auth("command")).json()
    assert code in [i["code"] for i in red["items"]]
    assert {i["card"] for i in red["items"]} == {"red"}
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE incident SET step_due_at = now() - interval '1 hour' WHERE code = :c"),
            {"c": code},
        )
        expected = set(
            conn.execute(
                text(
                    "SELECT code FROM incident "
                    "WHERE status NOT IN ('void', 'closed', 'evaluated', 'hung') "
                    "AND coalesce(step_due_at, deadline_at) < now() "
                    # the command centre's banner (Haibowan's cases are the province's)
                    "AND queue_area_id IN (SELECT id FROM area WHERE code LIKE '150621%')"
                )
            ).scalars()
        )
    overdue: set[str] = set()
    cursor = None
    while True:
        params = {"due": "overdue", "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, params=params, headers=auth("command")).json()
        overdue |= {i["code"] for i in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert code in overdue and overdue == expected
    refused(
        client.get(URL, params={"due": "later"}, headers=auth("command")), 422, "invalid", "due"
    )
    refused(
        client.get(URL, params={"card": "blue"}, headers=auth("command")), 422, "invalid", "card"
    )


# --- the property: random actions by random roles keep to the table --------------------------

ROLES = ["admin", "command", "township", "department", "grid_worker", "party_member", "planner"]
ACCOUNT_ROLE = {r: r for r in ROLES}


def _fields(action: str, shot: int | None, point: tuple[float, float], pick: Any) -> dict[str, Any]:
    """Plausible fields for ``action`` (sometimes wrong, so refusals are drawn too)."""
    fields: dict[str, Any] = {"reason": pick(st.sampled_from(["原因", "", None]))}
    if action == "dispatch":
        fields["department_code"] = pick(st.sampled_from(["D02", "D99"]))
    if action in ("handle", "self_handle") and shot is not None:
        fields["attachments"] = [shot]
    if action in ("self_handle", "verify"):
        fields |= {"lon": point[0], "lat": point[1], "datum": "cgcs2000"}
    if action in ("verify", "decide_delay"):
        fields["approve"] = pick(st.booleans())
    if action in ("evaluate", "reopen"):
        fields["evaluation"] = pick(st.sampled_from(EVALUATIONS))
    if action == "apply_delay":
        fields["delay_days"] = pick(st.integers(0, 12))
    if action == "card":
        fields["card"] = pick(st.sampled_from(["yellow", "red"]))
    return {k: v for k, v in fields.items() if v is not None}


def _replay(entries: list[Any]) -> str:
    """The status the action entries lead to, each checked against the table."""
    status = "reported"
    for e in entries:
        action = ACTIONS[e.action]
        assert e.from_status == status
        assert IncidentStatus(status) in action.from_states
        if action.name == "verify":
            assert e.to_status in ("closed", "rework")
        else:
            assert e.to_status == (action.to.value if action.to else status)
        status = e.to_status
    return status


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_actions_keep_to_the_table(client, auth, engine, new_case, point, accounts, data):
    code = new_case()
    shots = {who: photo(engine, code, who) for who in ("department", "grid_worker", "township")}
    before = get(client, auth, code)
    for _ in range(data.draw(st.integers(3, 12), label="steps")):
        who = data.draw(st.sampled_from(ROLES), label="who")
        action = data.draw(st.sampled_from(list(ACTIONS)), label="action")
        fields = _fields(action, shots.get(who), point, data.draw)
        response = act(client, auth, code, who, action, before["version"], **fields)
        legal = action in allowed_actions(accounts[who].role, before)
        after = get(client, auth, code)
        if response.status_code == 200:
            assert legal, f"{who} took {action} in {before['status']}"
            assert after["version"] == before["version"] + 1
        else:
            assert response.status_code in (403, 409, 422), response.text
            assert after["version"] == before["version"]
            if response.status_code == 409:
                assert not legal
        entries = [e for e in trail(engine, code) if e.kind == "action"]
        assert _replay(entries) == after["status"]
        assert len(entries) == after["version"] - 1
        before = after


def test_open311_status_follows_the_case(client, auth, engine, new_case, point):
    lon, lat = point
    closed, voided, still_open = new_case(), new_case(), new_case()
    ok(act(client, auth, closed, "grid_worker", "accept"))
    shot = photo(engine, closed, "grid_worker")
    ok(
        act(
            client,
            auth,
            closed,
            "grid_worker",
            "self_handle",
            attachments=[shot],
            lon=lon,
            lat=lat,
            datum="cgcs2000",
        )
    )
    ok(act(client, auth, voided, "command", "void", reason="重复上报，电话13912345678"))
    ok(act(client, auth, still_open, "command", "accept"))
    at = {
        c: column(
            engine, c, "(SELECT max(at) FROM incident_event e WHERE e.incident_id = incident.id)"
        )
        for c in (closed, voided, still_open)
    }
    codes = {closed, voided, still_open}

    def listed(status: str) -> dict[str, dict[str, Any]]:
        response = client.get(
            "/open311/v2/requests.json", params={"status": status}, headers=auth("command")
        )
        assert response.status_code == 200, response.text
        return {
            r["service_request_id"]: r for r in response.json() if r["service_request_id"] in codes
        }

    def local(code: str) -> str:
        return f"{at[code].astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}"

    closed_ones = listed("closed")
    assert set(closed_ones) == {closed, voided}
    assert closed_ones[closed]["status"] == "closed"
    assert closed_ones[closed]["status_notes"] == f"已结案：自行处置（{local(closed)}）"
    assert closed_ones[voided]["status_notes"] == (
        f"不予立案：不予立案（{local(voided)}）；原因：重复上报，电话139****5678"
    )
    open_ones = listed("open")
    assert set(open_ones) == {still_open}
    assert open_ones[still_open]["status_notes"] == f"已受理：受理（{local(still_open)}）"
    ok(act(client, auth, closed, "party_member", "evaluate", evaluation="basically_satisfied"))
    assert listed("closed")[closed]["status_notes"].endswith("；评价：基本满意")


def test_a_crash_mid_action_leaves_the_case_as_it_was(engine, accounts, new_case, monkeypatch):
    """The answer is built after the one statement that writes the incident, its trail entry,
    the audit row and the NOTIFY (and the one that reads the answer's rows): failing there
    must roll all of it back (fault injected into the real code path, in a real
    transaction)."""
    from cases.loop import actions

    code = new_case()
    before = written(engine, code)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(actions, "answer_of", crash)

    class Command:
        role = accounts["command"].role
        scope = accounts["command"].scope
        actor = Actor("command", "command")

    with pytest.raises(RuntimeError, match="disk gone"), engine.begin() as conn:
        actions.apply(conn, Command(), code, "accept", {}, 1)
    assert written(engine, code) == before
    assert column(engine, code, "status") == "reported"
