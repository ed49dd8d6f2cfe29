"""/api/v1/party over HTTP: who may register, publish, claim and confirm, and what a refused
request answers (a 4xx naming the field, nothing written)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import text

from api.party_schemas import Points, Ranking, Registration, Task, Unit
from api.xlsx import MEDIA_TYPE

from .conftest import _settings
from .helpers import fresh_account

API = "/api/v1/party"
TASK = {"community": "150621001001", "title": "x"}


def party_counts(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM party_registration), "
                "(SELECT count(*) FROM party_task), (SELECT count(*) FROM party_claim), "
                "(SELECT count(*) FROM party_confirmation)"
            )
        ).one()


@pytest.fixture(scope="module")
def demo(engine, accounts):
    """The demo party member's village (their community) and whether they reported in."""
    member = accounts["party_member"]
    with engine.connect() as conn:
        village = conn.execute(
            text(
                "SELECT code FROM area WHERE level = 'village' AND generation_high IS NULL "
                "AND left(:c, length(code)) = code"
            ),
            {"c": member.area_code},
        ).scalar_one()
        registered = conn.execute(
            text("SELECT count(*) FROM party_registration WHERE member_id = :m"),
            {"m": member.member_id},
        ).scalar_one()
    return SimpleNamespace(village=village, registered=bool(registered), member=member)


@pytest.fixture(scope="module")
def outsider(database, engine):
    """A party member account of a real member living in another township (150621002)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT m.id, a.code FROM member m JOIN area a ON a.id = m.area_id "
                "WHERE m.kind = 'party_member' AND a.code LIKE '150621002%' "
                "AND a.generation_high IS NULL ORDER BY m.id LIMIT 1"
            )
        ).one()
    like = SimpleNamespace(
        username="pm-outside",
        role="party_member",
        area_code=row.code,
        department_code=None,
        member_id=row.id,
    )
    return fresh_account(engine, _settings(database), like)[1]


@pytest.fixture(scope="module")
def registered(client, auth, demo):
    """The demo party member reports in (unless the sample did); a second time is 409."""
    if not demo.registered:
        first = client.post(
            f"{API}/registrations",
            json={"skills": ["水电维修"], "availability": "周末"},
            headers=auth("party_member"),
        )
        assert first.status_code == 201, first.text
        body = Registration.model_validate(first.json())
        assert body.micro_grid.code == demo.member.area_code
        assert body.member.name.endswith("*")
    again = client.post(f"{API}/registrations", json={}, headers=auth("party_member"))
    assert again.status_code == 409, again.text
    return True


def _publish(client, auth, village, title="清理小区积雪"):
    response = client.post(
        f"{API}/tasks", json={"community": village, "title": title}, headers=auth("grid_worker")
    )
    assert response.status_code == 201, response.text
    return Task.model_validate(response.json())


def test_claim_then_double_claim_is_409(client, auth, demo, registered, engine):
    task = _publish(client, auth, demo.village)
    assert task.state == "open" and task.community.code == demo.village
    claimed = client.post(f"{API}/tasks/{task.id}/claims", headers=auth("party_member"))
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["state"] == "claimed"
    assert claimed.json()["claim"]["member"]["id"] == demo.member.member_id
    before = party_counts(engine)
    again = client.post(f"{API}/tasks/{task.id}/claims", headers=auth("party_member"))
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert party_counts(engine) == before


def test_a_claim_from_outside_the_community_is_404(client, auth, demo, outsider, engine):
    task = _publish(client, auth, demo.village, "慰问困难群众")
    before = party_counts(engine)
    response = client.post(f"{API}/tasks/{task.id}/claims", headers=outsider)
    assert response.status_code == 404, response.text
    assert party_counts(engine) == before
    listed = client.get(f"{API}/tasks", params={"community": demo.village}, headers=outsider)
    assert listed.status_code == 200 and listed.json() == []


def test_confirm_and_points(client, auth, demo, registered):
    before = client.get(f"{API}/points", headers=auth("party_member")).json()
    task = _publish(client, auth, demo.village, "文明劝导")
    client.post(f"{API}/tasks/{task.id}/claims", headers=auth("party_member"))
    refused = client.post(
        f"{API}/tasks/{task.id}/confirm",
        json={"outcome": "completed"},
        headers=auth("party_member"),
    )
    assert refused.status_code == 403
    done = client.post(
        f"{API}/tasks/{task.id}/confirm", json={"outcome": "completed"}, headers=auth("grid_worker")
    )
    assert done.status_code == 200 and done.json()["state"] == "completed"
    twice = client.post(
        f"{API}/tasks/{task.id}/confirm", json={"outcome": "no_show"}, headers=auth("grid_worker")
    )
    assert twice.status_code == 409
    after = Points.model_validate(client.get(f"{API}/points", headers=auth("party_member")).json())
    assert after.completed == before["completed"] + 1
    assert after.points == before["points"] + 5  # a completed task adds 5 whatever came before


def test_ranking_and_its_workbook(client, auth, demo, registered):
    params = {"community": demo.village, "quarter": "2026-Q4"}
    response = client.get(f"{API}/ranking", params=params, headers=auth("township"))
    assert response.status_code == 200, response.text
    ranking = Ranking.model_validate(response.json())
    assert demo.member.member_id in [r.member.id for r in ranking.rows]
    assert [r.points for r in ranking.rows] == sorted(
        (r.points for r in ranking.rows), reverse=True
    )
    book = client.get(
        f"{API}/ranking", params={**params, "format": "xlsx"}, headers=auth("township")
    )
    assert book.headers["content-type"] == MEDIA_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert [c.value for c in sheet[1]] == [
        "名次",
        "党员",
        "报到微网格",
        "积分",
        "本季完成任务",
        "本季未到岗",
    ]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (r.rank, r.member.name, r.points) for r in ranking.rows
    ]


def test_units_report_in_share(client, auth):
    response = client.get(f"{API}/units", params={"within": "150621001"}, headers=auth("command"))
    assert response.status_code == 200, response.text
    units = [Unit.model_validate(u) for u in response.json()]
    assert units and all(u.code.startswith("150621001") for u in units)
    for unit in units:
        assert unit.share == (unit.registered / unit.members if unit.members else None)
        assert unit.flagged == (unit.share is not None and unit.share < 0.95)


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "field"),
    [
        ("post", "/tasks", {"community": "150621001001", "title": ""}, None, "title"),
        ("post", "/tasks", {"community": "abc", "title": "x"}, None, "community"),
        ("post", "/tasks", {**TASK, "starts_at": "2026-09-01T09:00:00"}, None, "starts_at"),
        ("post", "/tasks/1/confirm", {"outcome": "maybe"}, None, "outcome"),
        ("get", "/ranking", None, {"community": "150621001001", "quarter": "2026-Q5"}, "quarter"),
        ("get", "/tasks", None, {"state": "lost"}, "state"),
        ("get", "/units", None, {"format": "xls"}, "format"),
        ("post", "/registrations", {"skills": ["x" * 21]}, None, "skills[0]"),
    ],
)  # fmt: skip
def test_bad_input_is_a_422_naming_the_field(
    client, auth, engine, method, path, body, params, field
):
    headers = auth("party_member" if path == "/registrations" else "grid_worker")
    before = party_counts(engine)
    response = client.request(method.upper(), API + path, json=body, params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert party_counts(engine) == before


def test_a_community_outside_the_scope_is_404(client, auth, engine):
    before = party_counts(engine)
    response = client.post(
        f"{API}/tasks",
        json={"community": "150621002001", "title": "x"},
        headers=auth("grid_worker"),
    )
    assert response.status_code == 404
    assert party_counts(engine) == before


def test_roles_that_may_not(client, auth, demo):
    publish = client.post(
        f"{API}/tasks", json={"community": demo.village, "title": "x"}, headers=auth("party_member")
    )
    assert publish.status_code == 403
    register = client.post(f"{API}/registrations", json={}, headers=auth("command"))
    assert register.status_code == 403
    assert client.get(f"{API}/points", headers=auth("command")).status_code == 403
