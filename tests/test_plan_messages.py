"""Chinese for the planner: every problem of the check, every offered repair and every refusal
of a plan route carries it next to the English (``message_zh``, ``label_zh``)."""

from __future__ import annotations

import re

import pytest
import shapely
from shapely.geometry import mapping, shape

from geo.plans.messages import FIELD_ZH, PROBLEM_ZH, REPAIR_ZH, STATUS_ZH, problem_zh
from geo.topology import KINDS
from geo.topology.gate import REASONS_ZH

VILLAGE = "150621001001"
#: Draft refs of drawn areas are the only Latin a Chinese message may hold.
_ALLOWED = re.compile(r"new-\d+")


def latin(text: str) -> list[str]:
    """The Latin words of ``text`` (codes are digits and draft refs are allowed)."""
    return re.findall(r"[A-Za-z]+", _ALLOWED.sub("", text))


def test_every_kind_and_repair_the_topology_module_emits_has_chinese():
    assert set(PROBLEM_ZH) == set(KINDS)
    assert set(REPAIR_ZH) == {"make_valid", "snap"}
    for kind in KINDS:
        text = problem_zh(kind, [("01", "甲"), ("new-2", "")], "grid", area_m2=1.5, length_m=2)
        assert latin(text) == [] and re.search(r"[\u4e00-\u9fff]", text), kind
    for table in (FIELD_ZH, STATUS_ZH, REASONS_ZH):
        assert all(latin(zh) == [] for zh in table.values() if "WGS84" not in zh)


@pytest.fixture
def plan(client):
    response = client.post("/api/v1/plans", json={"scope_code": VILLAGE})
    assert response.status_code == 201, response.text
    plan_id = response.json()["id"]
    yield plan_id
    client.delete(f"/api/v1/plans/{plan_id}")


def test_problems_repairs_and_refusals_of_the_plan_routes_speak_chinese(client, plan):
    url = f"/api/v1/plans/{plan}"
    micro = {
        f["id"]: f
        for f in client.get(f"{url}/areas", params={"level": "micro_grid"}).json()["features"]
    }
    ref = sorted(micro)[0]
    moved = shapely.transform(shape(micro[ref]["geometry"]), lambda xy: xy + 2e-6)
    put = client.put(
        f"{url}/areas/{ref}", json={"geometry": mapping(moved), "datum": "cgcs2000", "version": 1}
    )
    assert put.status_code == 200, put.text
    problems = client.get(f"{url}/check").json()["features"]
    assert {p["properties"]["kind"] for p in problems} >= {"overlap", "not_covered"}
    for problem in problems:
        message = problem["properties"]["message_zh"]
        assert ref in message and latin(message) == [], message
        assert "微网格" in message
    repairs = client.get(f"{url}/repairs", params={"snap_tolerance_m": 1}).json()["features"]
    assert [r["properties"]["label_zh"] for r in repairs] == [
        f"把 {ref}「{micro[ref]['properties']['name']}」的边界吸附到相邻区域和上级边界上"
        "（容差 1 米）"
    ]

    refusals = [
        (client.post(f"{url}/move", json={"refs": [ref], "to": ref, "versions": {}}), 422, "to"),
        (client.post(f"{url}/move", json={"refs": [ref], "to": ref[:14]}), 428, "versions"),
        (client.post(f"{url}/move", json={"refs": [], "to": ref[:14]}), 422, "refs"),
        (
            client.put(
                f"{url}/areas/{ref}",
                json={"geometry": mapping(moved), "datum": "cgcs2000", "version": 1},
            ),
            412,
            None,
        ),
        (client.get("/api/v1/plans/999999/check"), 404, None),
        (client.post(f"{url}/publish", json={"effective_at": "明天"}), 422, "effective_at"),
    ]
    for response, status, field in refusals:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["detail"] and latin(body["message_zh"]) == [], body
        if field:
            assert body["message_zh"] == FIELD_ZH[field]
    assert "已被他人修改" in refusals[3][0].json()["message_zh"]
    assert refusals[4][0].json()["message_zh"] == STATUS_ZH[404]
    elsewhere = client.get("/api/v1/areas", params={"level": "nope"})
    assert elsewhere.status_code == 422 and "message_zh" not in elsewhere.json()
