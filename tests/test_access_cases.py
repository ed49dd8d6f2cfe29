"""Who may see and change incidents (issue #6): every endpoint taking an incident or member id
× every role × an object inside and one outside the role's scope; lists against SQL; writes
refused without the permission; audit rows for every write and reveal.

Two incidents are filed for the whole module: HOME in the demo party member's micro-grid of
树林召镇 (150621001), a dispute routed to 司法局 D02; AWAY in the peer party member's
micro-grid of 150621002, a public-order case routed to 公安局 D01. Expected rows are computed
by SQL written here (``LIKE prefix || '%'``), not by the service's query functions.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import text

from access.accounts import create_api_key
from api.open311 import GeoReportError, ServiceRequest
from api.reveal import RevealOut
from api.routers.incident_import import ImportResult
from api.schemas import Incident, IncidentPage
from geo.privacy import unmasked
from tests.helpers import counts, fresh_account

URL = "/api/v1/incidents"
MISSING = "DLT-1999-000001"
ID_HOME = "150621198001011232"  # a valid GB 11643 number (check digit 2)
ID_AWAY = "11010519491231002X"

ROLES = [
    "admin",
    "command",
    "planner",
    "planner_township",
    "township",
    "township_peer",
    "department",
    "department_peer",
    "grid_worker",
    "grid_worker_peer",
    "party_member",
    "party_member_peer",
]
#: Who sees HOME (150621001…, D02) and AWAY (150621002…, D01).
SEES_HOME = {
    "admin",
    "command",
    "planner",
    "planner_township",
    "township",
    "department",
    "grid_worker",
    "party_member",
}
SEES_AWAY = {
    "admin",
    "command",
    "planner",
    "township_peer",
    "department_peer",
    "grid_worker_peer",
    "party_member_peer",
}
#: Members are in scope by the area they serve (grid workers serve a grid: 14 digits); the
#: department's scope has no area, so it sees every member (and only its department's cases).
SEES_HOME_MEMBER = {
    "admin",
    "command",
    "planner",
    "planner_township",
    "township",
    "department",
    "department_peer",
    "grid_worker",
}
SEES_AWAY_MEMBER = {
    "admin",
    "command",
    "planner",
    "township_peer",
    "department",
    "department_peer",
    "grid_worker_peer",
}
REPORTERS = {"admin", "township", "township_peer", "department", "department_peer"} | {
    "grid_worker",
    "grid_worker_peer",
    "party_member",
    "party_member_peer",
}
REVEALERS = {"admin", "command", "township", "township_peer", "department", "department_peer"} | {
    "grid_worker",
    "grid_worker_peer",
}
IMPORTERS = {"admin", "township", "township_peer"}

Requests = TypeAdapter(list[ServiceRequest])
Errors = TypeAdapter(list[GeoReportError])


def _point(engine, area_code: str) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :c AND generation_high IS NULL) s"
            ),
            {"c": area_code},
        ).one()
    return float(row[0]), float(row[1])


def _post(client, headers, lon, lat, category="0101", key=None, **extra):
    payload = {"lon": lon, "lat": lat, "datum": "cgcs2000", "category": category, **extra}
    return client.post(
        URL, json=payload, headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())}
    )


def _audit(engine, action: str, actor: str | None = None) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT actor, role, action, object_type, object_id, before, after, reason "
                "FROM audit_log WHERE action = :a AND (CAST(:u AS text) IS NULL OR actor = :u) "
                "ORDER BY id"
            ),
            {"a": action, "u": actor},
        ).all()


def _same_404(response, missing, code: str, missing_code: str) -> None:
    """Out of scope answers exactly what a missing id answers, apart from the id."""
    assert response.status_code == missing.status_code == 404
    assert response.text.replace(code, "<id>") == missing.text.replace(missing_code, "<id>")


@pytest.fixture(scope="module")
def since(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT now()")).scalar_one()


@pytest.fixture(scope="module")
def home_point(engine, accounts):
    return _point(engine, accounts["party_member"].area_code)


@pytest.fixture(scope="module")
def away_point(engine, accounts):
    return _point(engine, accounts["party_member_peer"].area_code)


@pytest.fixture(scope="module")
def filed(client, since, home_point, away_point, accounts):
    """HOME and AWAY, filed by the admin with a reporter's full personal data."""
    home = _post(
        client,
        {},
        *home_point,
        "0101",
        reporter={"name": "张三丰", "phone": "13812345678", "id_number": ID_HOME},
    )
    away = _post(
        client,
        {},
        *away_point,
        "0201",
        reporter={"name": "巴特尔", "phone": "13987654321", "id_number": ID_AWAY.lower()},
    )
    assert home.status_code == away.status_code == 201, (home.text, away.text)
    home_body, away_body = home.json(), away.json()
    assert home_body["assignment"]["queue_area"]["code"] == accounts["party_member"].area_code
    assert away_body["assignment"]["queue_area"]["code"] == accounts["party_member_peer"].area_code
    assert home_body["responsible"]["department"]["code"] == "D02"
    assert away_body["responsible"]["department"]["code"] == "D01"
    return {"home": home_body, "away": away_body}


def _expected(engine, account, *, since=None, member=None) -> set[str]:
    """Codes of the incidents in the account's scope, by SQL written for this test."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT i.code FROM incident i "
                    "JOIN area q ON q.id = i.queue_area_id "
                    "JOIN department d ON d.id = i.department_id "
                    "WHERE (CAST(:prefix AS text) IS NULL OR q.code LIKE :prefix || '%') "
                    "AND (CAST(:dept AS text) IS NULL OR d.code = :dept) "
                    "AND (CAST(:since AS timestamptz) IS NULL OR i.reported_at >= :since) "
                    "AND (CAST(:member AS int) IS NULL OR i.member_id = :member)"
                ),
                {
                    "prefix": account.area_code,
                    "dept": account.department_code,
                    "since": since,
                    "member": member,
                },
            ).scalars()
        )


def _listed(client, headers, path=URL, **params) -> list[str]:
    """Every code of a paged list, following next_cursor."""
    codes: list[str] = []
    cursor = None
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = IncidentPage.model_validate(response.json())
        codes += [item.code for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return codes


# --- reads: one incident, one member's incidents, one Open311 request, reveal ---------------


@pytest.mark.parametrize("role", ROLES)
def test_one_incident_in_scope_or_404_like_a_missing_one(client, auth, filed, role):
    headers = auth(role)
    missing = client.get(f"{URL}/{MISSING}", headers=headers)
    assert missing.json() == {
        "detail": f"incident {MISSING} does not exist",
        "code": "not_found",
        "errors": [],
    }
    for name, sees in (("home", SEES_HOME), ("away", SEES_AWAY)):
        code = filed[name]["code"]
        response = client.get(f"{URL}/{code}", headers=headers)
        if role in sees:
            assert response.status_code == 200, response.text
            body = Incident.model_validate(response.json())
            assert body.code == code and [e["kind"] for e in body.events or []] == ["reported"]
            assert unmasked(response.text) == []
        else:
            _same_404(response, missing, code, MISSING)


@pytest.mark.parametrize("role", ROLES)
def test_member_incidents_in_scope_or_404(client, auth, engine, accounts, filed, role):
    headers = auth(role)
    missing = client.get("/api/v1/members/99999999/incidents", headers=headers)
    assert missing.status_code == 404
    for name, sees in (("home", SEES_HOME_MEMBER), ("away", SEES_AWAY_MEMBER)):
        member = filed[name]["responsible"]["member"]["id"]
        path = f"/api/v1/members/{member}/incidents"
        if role in sees:
            expected = _expected(engine, accounts[role], member=member)
            assert sorted(_listed(client, headers, path)) == sorted(expected)
            assert (filed[name]["code"] in expected) == (
                role in (SEES_HOME if name == "home" else SEES_AWAY)
            )
        else:
            _same_404(client.get(path, headers=headers), missing, str(member), "99999999")


@pytest.mark.parametrize("role", ROLES)
def test_open311_request_in_scope_or_404(client, auth, filed, role):
    headers = auth(role)
    missing = client.get(f"/open311/v2/requests/{MISSING}.json", headers=headers)
    assert Errors.validate_python(missing.json())[0].code == 404
    for name, sees in (("home", SEES_HOME), ("away", SEES_AWAY)):
        code = filed[name]["code"]
        response = client.get(f"/open311/v2/requests/{code}.json", headers=headers)
        if role in sees:
            assert response.status_code == 200, response.text
            (one,) = Requests.validate_python(response.json())
            assert one.service_request_id == code
        else:
            _same_404(response, missing, code, MISSING)


@pytest.mark.parametrize("role", ROLES)
def test_reveal_needs_the_permission_the_scope_and_leaves_a_trace(
    client, auth, engine, accounts, filed, role
):
    headers = auth(role)
    client.app.state.limiter.reset()
    reason = {"reason": f"回访核实 {role}"}
    before = len(_audit(engine, "personal_data.reveal", role))
    missing = client.post(f"{URL}/{MISSING}/reveal", json=reason, headers=headers)
    clear = {
        "home": {"reporter_name": "张三丰", "reporter_phone": "13812345678"}
        | {"reporter_id_number": ID_HOME},
        "away": {"reporter_name": "巴特尔", "reporter_phone": "13987654321"}
        | {"reporter_id_number": ID_AWAY},
    }
    revealed = 0
    for name, sees in (("home", SEES_HOME), ("away", SEES_AWAY)):
        code = filed[name]["code"]
        response = client.post(f"{URL}/{code}/reveal", json=reason, headers=headers)
        if role not in REVEALERS:
            assert response.status_code == missing.status_code == 403
        elif role in sees:
            assert response.status_code == 200, response.text
            out = RevealOut.model_validate(response.json())
            assert (out.object_type, out.object_id, out.fields) == ("incident", code, clear[name])
            revealed += 1
        else:
            _same_404(response, missing, code, MISSING)
    trail = _audit(engine, "personal_data.reveal", role)[before:]
    assert len(trail) == revealed
    for row in trail:
        assert (row.role, row.object_type, row.reason) == (
            accounts[role].role.value,
            "incident",
            reason["reason"],
        )
        assert row.after == {"fields": ["reporter_id_number", "reporter_name", "reporter_phone"]}


def test_reveal_is_rate_limited(client, engine, accounts, filed):
    settings, limiter = client.app.state.settings, client.app.state.limiter
    saved = settings.reveal_rate
    code = filed["home"]["code"]
    try:
        settings.reveal_rate = "2/minute"
        limiter.reset()
        township, headers = fresh_account(engine, settings, accounts["township"])
        before = len(_audit(engine, "personal_data.reveal", township))
        for _ in range(2):
            ok = client.post(f"{URL}/{code}/reveal", json={"reason": "核实身份"}, headers=headers)
            assert ok.status_code == 200
        refused = client.post(f"{URL}/{code}/reveal", json={"reason": "核实身份"}, headers=headers)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert len(_audit(engine, "personal_data.reveal", township)) == before + 2
        short = client.post(f"{URL}/{code}/reveal", json={"reason": "看"}, headers=headers)
        assert short.status_code == 422 and short.json()["errors"][0]["field"] == "reason"
    finally:
        settings.reveal_rate = saved
        limiter.reset()


# --- lists ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_exactly_the_rows_in_scope(client, auth, engine, accounts, filed, since, role):
    headers, account = auth(role), accounts[role]
    expected = _expected(engine, account, since=since)
    assert (filed["home"]["code"] in expected, filed["away"]["code"] in expected) == (
        role in SEES_HOME,
        role in SEES_AWAY,
    )
    listed = _listed(client, headers, **{"from": since.isoformat()})
    assert sorted(listed) == sorted(expected)
    # asking for another township's area narrows, never widens
    assert set(_listed(client, headers, area="150621002", **{"from": since.isoformat()})) == (
        expected & _in_area(engine, "150621002")
    )
    response = client.get(
        "/open311/v2/requests.json", params={"start_date": since.isoformat()}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert sorted(r.service_request_id for r in Requests.validate_python(response.json())) == (
        sorted(expected)
    )


def _in_area(engine, prefix: str) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT i.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
                    "WHERE q.code LIKE :p || '%'"
                ),
                {"p": prefix},
            ).scalars()
        )


@pytest.mark.parametrize(
    "role", ["party_member", "grid_worker", "department_peer", "township_peer"]
)
def test_whole_lists_of_scoped_roles_match_sql(client, auth, engine, accounts, filed, role):
    expected = _expected(engine, accounts[role])
    listed = _listed(client, auth(role))
    assert len(listed) == len(set(listed)) == len(expected)
    assert set(listed) == expected


# --- writes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(REPORTERS))
def test_every_reporting_role_files_a_traced_incident(
    client, auth, accounts, engine, home_point, role
):
    home_queue = accounts["party_member"].area_code
    before = len(_audit(engine, "incident.create", role))
    response = _post(client, auth(role), *home_point, reporter={"phone": "13700001111"})
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    with engine.connect() as conn:
        actors = conn.execute(
            text(
                "SELECT e.actor FROM incident_event e JOIN incident i ON i.id = e.incident_id "
                "WHERE i.code = :c ORDER BY e.id"
            ),
            {"c": code},
        ).scalars()
        assert list(actors) == [role]
    (row,) = _audit(engine, "incident.create", role)[before:]
    assert (row.actor, row.object_type, row.object_id, row.before) == (role, "incident", code, None)
    view = {k: v for k, v in response.json().items() if k != "possible_duplicates"}
    if role in ("township_peer", "grid_worker_peer", "party_member_peer"):
        # filed outside their scope: the audit keeps the whole view, the answer is cut
        # (tests/test_intake_scope.py)
        cut = ("assignment", "responsible")
        assert {k: v for k, v in view.items() if k not in cut} == {
            k: v for k, v in row.after.items() if k not in cut
        }
        assert (view["assignment"]["queue_area"], view["responsible"]["member"]) == (None, None)
        assert row.after["assignment"]["queue_area"]["code"] == home_queue
    else:
        assert row.after == view
    assert row.after["reporter"]["phone"] == "137****1111"
    assert unmasked(json.dumps(row.after)) == []


@pytest.mark.parametrize("role", sorted(set(ROLES) - REPORTERS))
def test_roles_that_may_not_report_are_refused_and_nothing_is_written(
    client, auth, engine, home_point, role
):
    before, audit_before = counts(engine), len(_audit(engine, "incident.create"))
    response = _post(client, auth(role), *home_point)
    assert response.status_code == 403
    assert response.json()["detail"].endswith("may not report")
    posted = client.post(
        "/open311/v2/requests.json",
        data={"service_code": "0101", "lat": home_point[1], "long": home_point[0]},
        headers=auth(role),
    )
    assert posted.status_code == 403
    assert Errors.validate_python(posted.json())[0].code == 403
    assert counts(engine) == before
    assert len(_audit(engine, "incident.create")) == audit_before


def test_idempotency_keys_belong_to_their_account(client, auth, engine, home_point):
    key = f"shared-{uuid.uuid4()}"
    lon, lat = home_point
    mine = _post(client, auth("township"), lon, lat, key=key, description="我的")
    theirs = _post(client, auth("grid_worker"), lon, lat, key=key, description="别人的")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["code"] != theirs.json()["code"]
    again = _post(client, auth("grid_worker"), lon, lat, key=key, description="别人的")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["code"] == theirs.json()["code"]


def test_intake_is_rate_limited_per_account_but_replays_pass(client, auth, engine, home_point):
    settings, limiter = client.app.state.settings, client.app.state.limiter
    saved = settings.intake_rate
    try:
        settings.intake_rate = "2/minute"
        limiter.reset()
        headers = auth("party_member")
        first_key = str(uuid.uuid4())
        first = _post(client, headers, *home_point, key=first_key)
        assert _post(client, headers, *home_point).status_code == 201
        before = counts(engine)
        refused = _post(client, headers, *home_point)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["detail"].startswith("too many intake requests")
        assert counts(engine) == before  # not even the key was kept
        replay = _post(client, headers, *home_point, key=first_key)
        assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")
        assert replay.json()["code"] == first.json()["code"]
        assert _post(client, auth("party_member_peer"), *home_point).status_code == 201
    finally:
        settings.intake_rate = saved
        limiter.reset()


def test_id_numbers_are_masked_in_every_output(client, auth, engine, filed):
    home = filed["home"]
    assert home["reporter"] == {
        "name": "张**",
        "phone": "138****5678",
        "id_number": "150621********1232",
    }
    assert filed["away"]["reporter"]["id_number"] == "110105********002X"  # stored upper-case
    assert home["responsible"]["member"]["name"].endswith("*")
    seen = [
        client.get(f"{URL}/{home['code']}").text,
        client.get(URL, params={"area": home["assignment"]["queue_area"]["code"]}).text,
        client.get(f"/open311/v2/requests/{home['code']}.json").text,
    ]
    for text_ in seen:
        assert ID_HOME not in text_ and "13812345678" not in text_ and "张三丰" not in text_
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT reporter_id_number FROM incident WHERE code = :c"), {"c": home["code"]}
        ).scalar_one()
    assert stored == ID_HOME


def test_importers_only_and_a_township_only_inside_its_township(
    client, auth, engine, home_point, away_point
):
    far = (away_point[0], away_point[1] + 1.0)  # ~110 km north: the banner's queue
    header = "lon,lat,datum,category,reporter_name,reporter_phone,reporter_id_number"
    rows = [
        f"{home_point[0]!r},{home_point[1]!r},cgcs2000,0101,李四,13700002222,{ID_HOME}",
        f"{away_point[0]!r},{away_point[1]!r},cgcs2000,0101,,,",
        f"{far[0]!r},{far[1]!r},cgcs2000,0101,,,",
        f"{home_point[0]!r},{home_point[1]!r},cgcs2000,0101,,,150621198001011234",
    ]
    csv_bytes = ("\n".join([header, *rows]) + "\n").encode()
    for role in sorted(set(ROLES) - IMPORTERS):
        before = counts(engine)
        response = client.post(
            f"{URL}/import", files={"file": ("t.csv", csv_bytes)}, headers=auth(role)
        )
        assert response.status_code == 403, role
        assert counts(engine) == before
    assert _audit(engine, "incident.import", "grid_worker") == []
    before = len(_audit(engine, "incident.import", "township"))
    response = client.post(
        f"{URL}/import",
        files={"file": ("t.csv", csv_bytes)},
        data={"source": "t-access"},
        headers=auth("township"),
    )
    assert response.status_code == 200, response.text
    body = ImportResult.model_validate(response.json())
    assert (body.rows, body.accepted, body.written) == (4, 1, True)
    assert [(r.line, r.field, r.reason) for r in body.refused] == [
        (3, "location", "outside 150621001"),
        (4, "location", "outside 150621001"),
        (5, "reporter_id_number", "the check digit does not match the first 17 digits (GB 11643)"),
    ]
    code = body.codes.first
    detail = client.get(f"{URL}/{code}", headers=auth("township")).json()
    assert detail["reporter"] == {
        "name": "李*",
        "phone": "137****2222",
        "id_number": "150621********1232",
    }
    assert [e["actor"] for e in detail["events"]] == ["township"]
    (row,) = _audit(engine, "incident.import", "township")[before:]
    assert (row.object_type, row.object_id, row.role) == ("import_file", "t.csv", "township")
    assert row.after == {
        "file": "t.csv",
        "format": "csv",
        "rows": 4,
        "accepted": 1,
        "refused_rows": 3,
        "written": True,
        "source": "t-access",
        "codes": {"count": 1, "first": code, "last": code},
    }
    # the peer township keeps the other township's row and refuses its own
    peer = client.post(
        f"{URL}/import", files={"file": ("t.csv", csv_bytes)}, headers=auth("township_peer")
    ).json()
    assert [(r["line"], r["reason"]) for r in peer["refused"]][:2] == [
        (2, "outside 150621002"),
        (4, "outside 150621002"),
    ]
    assert peer["accepted"] == 1


def test_routing_edits_are_the_admins_and_audited(client, auth, engine):
    path = "/api/v1/routing/0606/townships/150621002"
    matrix = client.get("/api/v1/routing", headers=auth("party_member"))
    assert matrix.status_code == 200 and len(matrix.json()) == 46
    assert client.get("/api/v1/categories", headers=auth("department")).status_code == 200
    for role in sorted(set(ROLES) - {"admin"}):
        headers = auth(role)
        before = len(_audit(engine, "routing.update")) + len(_audit(engine, "routing.delete"))
        assert client.put(path, json={"department_code": "D08"}, headers=headers).status_code == (
            403
        )
        put = client.put("/api/v1/routing/0606", json={"department_code": "D08"}, headers=headers)
        assert put.status_code == 403
        assert client.delete(path, headers=headers).status_code == 403
        after = len(_audit(engine, "routing.update")) + len(_audit(engine, "routing.delete"))
        assert after == before
    assert client.get("/api/v1/routing").json() == matrix.json()  # nothing changed
    before = len(_audit(engine, "routing.update", "admin"))
    deleted_before = len(_audit(engine, "routing.delete", "admin"))
    assert client.put(path, json={"department_code": "D08"}).status_code == 204
    assert client.put(path, json={"department_code": "D09"}).status_code == 204
    assert client.put("/api/v1/routing/0606", json={"department_code": "D16"}).status_code == 204
    assert client.delete(path).status_code == 204
    updates = _audit(engine, "routing.update", "admin")[before:]
    where = {"category_code": "0606", "township_code": "150621002"}
    default = {"category_code": "0606", "township_code": None}
    assert [(r.object_id, r.before, r.after) for r in updates] == [
        ("0606/150621002", None, where | {"department_code": "D08"}),
        ("0606/150621002", where | {"department_code": "D08"}, where | {"department_code": "D09"}),
        ("0606", default | {"department_code": "D16"}, default | {"department_code": "D16"}),
    ]
    (deleted,) = _audit(engine, "routing.delete", "admin")[deleted_before:]
    assert (deleted.object_id, deleted.before, deleted.after) == (
        "0606/150621002",
        where | {"department_code": "D09"},
        None,
    )


# --- Open311 credentials ----------------------------------------------------------------------


def test_open311_needs_a_credential_and_answers_in_its_own_format(
    client, anon, auth, engine, accounts, home_point
):
    assert anon.get("/open311/v2/discovery.json").status_code == 200
    assert anon.get("/open311/v2/services.json").status_code == 200
    form = {"service_code": "0101", "lat": home_point[1], "long": home_point[0]}
    before = counts(engine)
    for response in (
        anon.post("/open311/v2/requests.json", data=form),
        anon.get("/open311/v2/requests.json"),
        anon.get(f"/open311/v2/requests/{MISSING}.json"),
        anon.post("/open311/v2/requests.json", data={**form, "api_key": "wg_nope_nope"}),
    ):
        assert response.status_code == 401
        (error,) = Errors.validate_python(response.json())
        assert error.code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert counts(engine) == before
    with engine.begin() as conn:
        key = create_api_key(conn, accounts["grid_worker"].id, "open311 test")
    by_form = anon.post(
        "/open311/v2/requests.json", data={**form, "description": "表单钥匙", "api_key": key}
    )
    by_header = anon.post(
        "/open311/v2/requests.json",
        data={**form, "description": "头部钥匙"},
        headers={"X-API-Key": key},
    )
    by_query = anon.post(
        "/open311/v2/requests.json",
        params={"api_key": key},
        data={**form, "description": "查询钥匙"},
    )
    assert [r.status_code for r in (by_form, by_header, by_query)] == [201, 201, 201]
    code = by_form.json()[0]["service_request_id"]
    (row,) = _audit(engine, "incident.create", "grid_worker")[-3:-2]
    assert row.object_id == code
    listed = anon.get("/open311/v2/requests.json", headers={"X-API-Key": key})
    assert code in {r.service_request_id for r in Requests.validate_python(listed.json())}
