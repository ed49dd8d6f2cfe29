"""The level that holds a case decides who acts on it, and escalation climbs one level at a time
except through a skip rule or a dispute's skip reason (WORKFLOW.md §1 rule 1, §5.1).

Cases are filed fresh through :func:`tests.test_loop_actions.new_case` (in the demo party
member's micro-grid of 树林召镇); the village account made here is scoped at that micro-grid's
village, a peer village account at another village of the same township.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from access.accounts import DEMO_PASSWORD, create_account, find_account
from cases.loop.table import HOLDERS, allowed_actions
from tests.test_loop_actions import (  # noqa: F401 (fixtures)
    act,
    get,
    made,
    names,
    new_case,
    ok,
    point,
    refused,
    trail,
    written,
)

RULES = "/api/v1/escalation-rules"


@pytest.fixture(scope="module")
def villages(engine, accounts) -> dict[str, str]:
    """``village`` (the case's village) and ``village_peer`` (another of the same township):
    township accounts scoped at a village; their usernames."""
    home = accounts["party_member"].area_code[:12]
    with engine.begin() as conn:
        other = conn.execute(
            text(
                "SELECT code FROM area WHERE level = 'village' AND generation_high IS NULL "
                "AND code LIKE '150621001%' AND code <> :home ORDER BY code LIMIT 1"
            ),
            {"home": home},
        ).scalar_one()
        for username, code in (("village", home), ("village_peer", other)):
            if find_account(conn, username=username) is None:
                create_account(
                    conn, username=username, password=DEMO_PASSWORD, role="township",
                    area_code=code,
                )  # fmt: skip
    return {"village": home, "village_peer": other}


@pytest.fixture(scope="module")
def level_auth(database, accounts, villages, auth) -> Any:
    """``auth`` that also knows the village accounts."""
    from api import tokens
    from tests.conftest import _settings

    settings = _settings(database)
    with database.engine.connect() as conn:
        ids = {u: find_account(conn, username=u).id for u in villages}  # type: ignore[union-attr]

    def headers(username: str) -> dict[str, str]:
        if username not in ids:
            return auth(username)
        token = tokens.issue(settings, ids[username], "access").token
        return {"Authorization": f"Bearer {token}"}

    return headers


def escalations(engine, code: str) -> list[dict[str, Any]]:
    return [e.data for e in trail(engine, code) if e.action == "escalate"]


def in_progress(client, auth, code: str) -> None:
    for who, action, fields in [
        ("grid_worker", "accept", {}),
        ("command", "file", {}),
        ("command", "dispatch", {"department_code": "D02"}),
        ("department", "sign", {}),
    ]:
        ok(act(client, auth, code, who, action, **fields))


def test_the_holding_level_decides_who_acts(client, level_auth, engine, new_case):  # noqa: F811
    auth = level_auth
    code = new_case()
    in_progress(client, auth, code)
    assert "escalate" not in names(get(client, auth, code, "township"))  # held in the grid
    refused(act(client, auth, code, "township", "escalate", reason="上报"), 403, "forbidden")
    refused(act(client, auth, code, "village", "escalate", reason="上报"), 403, "forbidden")
    assert names(get(client, auth, code, "grid_worker")) == ["escalate"]
    body = ok(act(client, auth, code, "grid_worker", "escalate", reason="本级无法解决"))
    assert body["level"] == "grid"
    body = ok(act(client, auth, code, "grid_worker", "escalate", reason="本级无法解决"))
    assert body["level"] == "village"
    # Now the village holds it: not the grid worker, not the township, not another village.
    assert names(get(client, auth, code, "grid_worker")) == []
    before = written(engine, code)
    body = refused(
        act(client, auth, code, "grid_worker", "escalate", reason="再上"), 403, "forbidden"
    )
    assert "village" in body["detail"]
    refused(act(client, auth, code, "township", "escalate", reason="再上"), 403, "forbidden")
    refused(act(client, auth, code, "village_peer", "escalate", reason="再上"), 404, "not_found")
    assert written(engine, code) == before
    assert names(get(client, auth, code, "village")) == [
        "handle",
        "hang",
        "apply_delay",
        "escalate",
    ]
    body = ok(act(client, auth, code, "village", "escalate", reason="村级无法解决"))
    assert body["level"] == "township"
    refused(act(client, auth, code, "village", "escalate", reason="再上"), 403, "forbidden")
    assert names(get(client, auth, code, "township")) == [
        "handle", "hang", "apply_delay", "escalate",
    ]  # fmt: skip
    body = ok(act(client, auth, code, "township", "escalate", reason="镇级无法解决"))
    assert body["level"] == "banner"
    liaison = ["handle", "hang", "apply_delay"]  # the township as the unit it was dispatched to
    assert names(get(client, auth, code, "township")) == liaison
    # A fourth climb is refused at the banner, by the table (409), for everyone.
    body = refused(act(client, auth, code, "command", "escalate", reason="再上"), 409, "conflict")
    assert body["status"] == "in_progress" and "escalate" not in body["allowed"]
    assert escalations(engine, code) == [
        {"level": {"from": "micro_grid", "to": "grid"}},
        {"level": {"from": "grid", "to": "village"}},
        {"level": {"from": "village", "to": "township"}},
        {"level": {"from": "township", "to": "banner"}},
    ]
    # The department it was dispatched to still handles it, whatever level holds it.
    assert names(get(client, auth, code, "department")) == ["handle", "hang", "apply_delay"]


def test_the_table_of_holders():
    assert {level: sorted(r.value for r in roles) for level, roles in HOLDERS.items()} == {
        "micro_grid": ["admin", "command", "grid_worker"],
        "grid": ["admin", "command", "grid_worker"],
        "village": ["admin", "command", "mediator", "township"],
        "township": ["admin", "command", "mediator", "township"],
        "banner": ["admin", "command", "mediator"],
    }
    case = {"status": "accepted", "delay_state": "none", "reopened_count": 0,
            "sensitive": False, "evaluation": None}  # fmt: skip
    assert allowed_actions("grid_worker", case | {"level": "grid"}) == [
        "void", "self_handle", "escalate",
    ]  # fmt: skip
    assert allowed_actions("grid_worker", case | {"level": "village"}) == []
    assert allowed_actions("township", case | {"level": "township"}) == ["escalate"]
    assert allowed_actions("command", case | {"level": "banner"}) == [
        "void", "request_check", "file", "card",
    ]  # fmt: skip


@pytest.fixture
def rule(client) -> Iterator[None]:
    """Major class 04 (环境卫生), not urgent: straight up to the township, copied to D08."""
    response = client.put(
        f"{RULES}/04/normal", json={"target_level": "township", "copy_to": ["D08"]}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "category_code": "04", "urgent": False, "target_level": "township", "copy_to": ["D08"],
    }  # fmt: skip
    yield
    assert client.delete(f"{RULES}/04/normal").status_code == 204


def test_a_skip_rule_escalates_at_once(client, auth, engine, new_case, rule):  # noqa: F811
    code = new_case("0401")
    ok(act(client, auth, code, "grid_worker", "accept"))
    before = written(engine, code)
    refused(
        act(client, auth, code, "grid_worker", "escalate", reason="重大", level="banner"),
        422,
        "invalid",
        "level",
    )  # the rule reaches the township, no further
    assert written(engine, code) == before
    body = ok(act(client, auth, code, "grid_worker", "escalate", reason="重大", level="township"))
    assert (body["level"], body["status"], body["version"]) == ("township", "accepted", 3)
    assert escalations(engine, code) == [
        {
            "level": {"from": "micro_grid", "to": "township"},
            "skip": {"rule": "04"},
            "copy_to": ["D08"],
        }
    ]
    # Without a level it climbs one, rule or not.
    other = new_case("0401")
    ok(act(client, auth, other, "grid_worker", "accept"))
    body = ok(act(client, auth, other, "grid_worker", "escalate", reason="上报"))
    assert body["level"] == "grid"
    assert escalations(engine, other) == [{"level": {"from": "micro_grid", "to": "grid"}}]
    # Urgent cases of 04 have no rule.
    assert [r for r in client.get(RULES).json() if r["category_code"] == "04"] == [
        {"category_code": "04", "urgent": False, "target_level": "township", "copy_to": ["D08"]}
    ]


def test_a_red_risk_dispute_skips_up(client, auth, engine, new_case):  # noqa: F811
    code = new_case()  # 0101 邻里纠纷
    ok(act(client, auth, code, "grid_worker", "accept"))
    before = written(engine, code)
    refused(
        act(client, auth, code, "grid_worker", "escalate", reason="矛盾激化", level="township"),
        422,
        "invalid",
        "level",
    )  # no rule for disputes, no reason given
    refused(
        act(client, auth, code, "grid_worker", "escalate", reason="矛盾激化", level="township",
            skip_reason="angry"),
        422,
        "invalid",
        "skip_reason",
    )  # fmt: skip
    assert written(engine, code) == before
    body = ok(
        act(client, auth, code, "grid_worker", "escalate", reason="矛盾激化", level="township",
            skip_reason="red_risk")
    )  # fmt: skip
    assert body["level"] == "township"
    assert escalations(engine, code) == [
        {"level": {"from": "micro_grid", "to": "township"}, "skip": {"reason": "red_risk"}}
    ]
    party = new_case()
    ok(act(client, auth, party, "command", "accept"))
    body = ok(
        act(client, auth, party, "command", "escalate", reason="一方为企业", level="banner",
            skip_reason="unit_party")
    )  # fmt: skip
    assert body["level"] == "banner"


def test_bad_escalations_are_422_naming_the_field(client, auth, engine, new_case):  # noqa: F811
    dispute, litter = new_case(), new_case("0401")
    for code in (dispute, litter):
        ok(act(client, auth, code, "grid_worker", "accept"))
    before = written(engine, litter)
    for fields, field in [
        ({"level": "county"}, "level"),
        ({"level": "micro_grid"}, "level"),  # not above where it is
        ({"level": "village"}, "level"),  # two up without a rule
        ({"level": "township", "skip_reason": "red_risk"}, "skip_reason"),  # not a dispute
        ({}, "reason"),
    ]:
        reason = {} if field == "reason" else {"reason": "上报"}
        response = act(client, auth, litter, "grid_worker", "escalate", **reason, **fields)
        refused(response, 422, "invalid", field)
    assert written(engine, litter) == before
    ok(act(client, auth, dispute, "grid_worker", "escalate", reason="上报", level="grid"))


def test_escalation_rules_are_admin_data(client, auth, engine):
    put = f"{RULES}/0101/urgent"
    body = {"target_level": "banner", "copy_to": ["D02", "D01"]}
    assert client.put(put, json=body, headers=auth("command")).status_code == 403
    for change, field in [
        ({"target_level": "county"}, "target_level"),
        ({"target_level": "banner", "copy_to": ["D99"]}, "copy_to"),
        ({"target_level": "banner", "copy_to": ["D02", "D02"]}, "copy_to"),
    ]:
        response = client.put(put, json=change)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    response = client.put(f"{RULES}/9999/urgent", json=body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "category"
    assert client.put(f"{RULES}/0101/soon", json=body).status_code == 422
    response = client.put(put, json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"category_code": "0101", "urgent": True, **body}
    assert client.delete(put).status_code == 204
    assert client.delete(put).status_code == 404
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, before, after FROM audit_log WHERE object_type = "
                "'escalation_rule' AND object_id = '0101/urgent' ORDER BY id"
            )
        ).all()
    assert [r.action for r in rows] == ["escalation_rule.update", "escalation_rule.delete"]
    assert rows[0].before is None and rows[1].after is None
    assert json.loads(json.dumps(rows[1].before)) == {
        "category_code": "0101",
        "urgent": True,
        **body,
    }
    assert [r for r in client.get(RULES).json() if r["category_code"] == "0101"] == []
