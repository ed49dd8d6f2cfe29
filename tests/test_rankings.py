"""Rankings, publication, appeals, townships' scores and the annual evaluation (issue #15,
WORKFLOW.md §4), through the API and, for what must not persist, the domain functions inside a
rolled-back transaction.

A published ranking is frozen: the bytes served at publication are the bytes served ever
after, whatever later corrections do to the live figures. Every refusal is a 4xx naming the
field and writes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, text

from cases.indicators import rankings
from cases.indicators.periods import parse_quarter
from cases.indicators.registry import COMPOSITE

CN = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/rankings"


def _snapshots(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM ranking_snapshot), (SELECT count(*) FROM "
                "score_appeal), (SELECT count(*) FROM case_score)"
            )
        ).one()


def test_a_published_ranking_is_byte_identical_after_a_correction(conn: Connection) -> None:
    frozen = rankings.publish(conn, "2024-Q3", "township", None, "command")
    first = json.loads(frozen)
    # Dalad's eight ranked; Haibowan's five listed last, unranked (its sample history has no
    # trails, so its handling figures are insufficient)
    ranks = [r["rank"] for r in first["rows"]]
    assert first["published"] is True and ranks == [*range(1, 9), *[None] * 5]
    leader = first["rows"][0]
    # a later correction: a red card on one of the leader's cases of the quarter
    case = conn.execute(
        text(
            "SELECT i.id, i.status FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "WHERE left(q.code, 9) = :t AND i.reported_at >= '2024-07-01T00:00:00+08:00' "
            "AND i.reported_at < '2024-10-01T00:00:00+08:00' ORDER BY i.id LIMIT 1"
        ),
        {"t": leader["code"]},
    ).one()
    conn.execute(
        text(
            "INSERT INTO incident_event (incident_id, at, actor, kind, action, from_status, "
            "to_status, data) VALUES (:id, '2024-09-30T12:00:00+08:00', 'system', 'supervision', "
            "'card', :s, :s, '{\"card\": \"red\"}')"
        ),
        {"id": case.id, "s": case.status},
    )
    live = rankings.compute_ranking(conn, parse_quarter("2024-Q3"), "township", "")
    corrected = next(r for r in live["rows"] if r["code"] == leader["code"])
    assert corrected["inputs"]["cards"]["red_cards"] == leader["inputs"]["cards"]["red_cards"] + 1
    assert corrected["score"] == round(max(0.0, leader["score"] - 10), 2)
    assert rankings.ranking(conn, "2024-Q3", "township") == frozen


def test_the_change_is_against_the_previous_published_quarter(conn: Connection) -> None:
    before = json.loads(rankings.publish(conn, "2024-Q2", "township", None, "command"))
    now = rankings.compute_ranking(conn, parse_quarter("2024-Q3"), "township", "")
    ranks = {r["code"]: r["rank"] for r in before["rows"]}
    ranked = now["rows"][:8]  # Dalad's; Haibowan's five follow unranked
    assert all(r["rank"] is None for r in now["rows"][8:])
    for row in ranked:
        assert row["change"] == ranks[row["code"]] - row["rank"]
    assert now["top"] == now["rows"][:3] and now["bottom"] == now["rows"][5:8]
    assert all(len(r["top_categories"]) == 3 for r in ranked)


def test_a_score_expands_to_its_inputs(conn: Connection) -> None:
    body = rankings.compute_ranking(conn, parse_quarter("2024-Q3"), "township", "")
    for row in body["rows"][:8]:  # Dalad's, ranked (Haibowan's five follow, insufficient)
        parts = row["inputs"]["indicators"]
        assert all(not parts[n]["insufficient"] for n in COMPOSITE)
        weighted = sum(
            w * ((1 - parts[n]["value"]) if inverse else parts[n]["value"])
            for n, (w, inverse) in COMPOSITE.items()
        )
        assert row["inputs"]["indicator_score"] == round(100 * weighted / 100, 2)
        points = row["inputs"]["cards"]["points"]
        assert (
            points
            == 5 * row["inputs"]["cards"]["yellow_cards"] + 10 * row["inputs"]["cards"]["red_cards"]
        )
        assert row["score"] == round(max(0.0, row["inputs"]["indicator_score"] - points), 2)


def test_publish_answers_the_frozen_bytes_and_refuses_twice(client, auth, engine) -> None:
    first = client.post(
        f"{URL}/2023-Q1/publish", json={"kind": "department"}, headers=auth("command")
    )
    assert first.status_code == 201, first.text
    again = client.get(URL, params={"quarter": "2023-Q1", "kind": "department"})
    assert again.content == first.content and again.json()["published"] is True
    before = _snapshots(engine)
    twice = client.post(f"{URL}/2023-Q1/publish", json={"kind": "department"})
    assert twice.status_code == 409 and twice.json()["code"] == "conflict"
    assert _snapshots(engine) == before


@pytest.mark.parametrize(
    ("user", "quarter", "body", "status", "field"),
    [
        ("township", "2023-Q1", {"kind": "township"}, 403, None),
        ("command", "2099-Q4", {"kind": "township"}, 422, "quarter"),
        ("command", "2023-Q5", {"kind": "township"}, 422, "quarter"),
        ("command", "2023-Q1", {"kind": "village"}, 422, "township"),
        ("command", "2023-Q1", {"kind": "nation"}, 422, "kind"),
    ],
)
def test_bad_publications_are_refused(client, auth, engine, user, quarter, body, status, field):
    before = _snapshots(engine)
    answer = client.post(f"{URL}/{quarter}/publish", json=body, headers=auth(user))
    assert answer.status_code == status, answer.text
    if field:
        assert field in {e["field"] for e in answer.json()["errors"]}
    assert _snapshots(engine) == before


@pytest.fixture(scope="module")
def published(client, auth) -> str:
    answer = client.post(f"{URL}/2023-Q2/publish", json={"kind": "township"}, headers=auth("admin"))
    assert answer.status_code in (201, 409)
    return "2023-Q2"


def test_an_appeal_by_the_ranked_unit_and_its_outcome(client, auth, published) -> None:
    body = {"kind": "township", "code": "150621002", "reason": "两件事件核查时间记录有误"}
    made = client.post(f"{URL}/{published}/appeals", json=body, headers=auth("township_peer"))
    assert made.status_code == 201, made.text
    appeal = made.json()
    assert (appeal["code"], appeal["outcome"], appeal["by"]) == ("150621002", None, "township_peer")
    decided = client.post(
        f"/api/v1/appeals/{appeal['id']}/decision",
        json={"outcome": "rejected", "note": "记录无误"},
        headers=auth("command"),
    )
    assert decided.status_code == 200 and decided.json()["outcome"] == "rejected"
    twice = client.post(
        f"/api/v1/appeals/{appeal['id']}/decision",
        json={"outcome": "upheld", "note": "再议"},
        headers=auth("command"),
    )
    assert twice.status_code == 409
    listed = client.get("/api/v1/appeals", params={"quarter": published}).json()
    assert [a["outcome"] for a in listed if a["id"] == appeal["id"]] == ["rejected"]


@pytest.mark.parametrize(
    ("user", "quarter", "body", "status", "field"),
    [
        # someone outside the ranked unit
        ("township", "2023-Q2", {"kind": "township", "code": "150621002"}, 403, None),
        ("department", "2023-Q2", {"kind": "township", "code": "150621001"}, 403, None),
        ("party_member", "2023-Q2", {"kind": "township", "code": "150621001"}, 403, None),
        # not a row, not published, no reason
        ("township", "2023-Q2", {"kind": "township", "code": "D02"}, 422, "code"),
        ("township", "2023-Q4", {"kind": "township", "code": "150621001"}, 404, None),
        ("township", "2023-Q2", {"kind": "township", "code": "150621001", "reason": " "}, 422,
         "reason"),
    ],
)  # fmt: skip
def test_bad_appeals_are_refused(
    client, auth, engine, published, user, quarter, body, status, field
):
    before = _snapshots(engine)
    answer = client.post(
        f"{URL}/{quarter}/appeals", json={"reason": "申诉", **body}, headers=auth(user)
    )
    assert answer.status_code == status, answer.text
    if field:
        assert field in {e["field"] for e in answer.json()["errors"]}
    assert _snapshots(engine) == before


def _case_in(engine, prefix: str) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT i.code, d.code AS department FROM incident i JOIN area q ON "
                "q.id = i.queue_area_id JOIN department d ON d.id = i.department_id "
                "WHERE left(q.code, 9) = :p AND i.status = 'evaluated' ORDER BY i.id LIMIT 1"
            ),
            {"p": prefix},
        ).one()
    return row.code, row.department


def _township_items(client, quarter: str, department: str) -> dict[str, tuple[int, float]]:
    """The department's items by township (count, mean) in ``quarter``, as the ranking shows."""
    body = client.get(URL, params={"quarter": quarter, "kind": "department"}).json()
    row = next(r for r in body["rows"] if r["code"] == department)
    scores = row["inputs"].get("township_scores") or {"by_township": []}
    return {t["code"]: (t["count"], t["mean"]) for t in scores["by_township"]}


def test_a_township_scores_a_department_and_the_ranking_uses_it(client, auth, engine) -> None:
    code, department = _case_in(engine, "150621001")
    today = datetime.now(CN)  # the score counts in the quarter it is given
    q = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    # whistle scores given today by other tests count too (一哨一考核, test_whistles.py)
    before = _township_items(client, q, department)
    answer = client.post(
        "/api/v1/scores",
        json={"incident": code, "department": department, "score": 85.5, "reason": "处置及时"},
        headers=auth("township"),
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["township_code"], answer.json()["score"]) == ("150621001", 85.5)
    twice = client.post(
        "/api/v1/scores",
        json={"incident": code, "department": department, "score": 90, "reason": "再评"},
        headers=auth("township"),
    )
    assert twice.status_code == 409
    body = client.get(URL, params={"quarter": q, "kind": "department"}).json()
    row = next(r for r in body["rows"] if r["code"] == department)
    scores = row["inputs"]["township_scores"]
    n, mean = before.get("150621001", (0, 0.0))
    by_township = {t["code"]: t for t in scores["by_township"]}
    assert by_township["150621001"]["name"] == "树林召镇"
    assert by_township["150621001"]["count"] == n + 1
    assert by_township["150621001"]["mean"] == pytest.approx((n * mean + 85.5) / (n + 1), abs=1e-3)
    others = {c: (t["count"], t["mean"]) for c, t in by_township.items() if c != "150621001"}
    assert others == {c: v for c, v in before.items() if c != "150621001"}
    total = sum(t["count"] for t in by_township.values())
    assert scores["count"] == total
    weighted = sum(t["count"] * t["mean"] for t in by_township.values()) / total
    assert scores["mean"] == pytest.approx(weighted, abs=0.01)
    if not before:  # alone: exactly the one score
        assert (scores["count"], scores["mean"]) == (1, 85.5)
    indicator = row["inputs"]["indicator_score"]
    weights = row["inputs"]["weights"]
    expected = (
        scores["mean"]
        if indicator is None
        else weights["township_scores"] * scores["mean"] + weights["indicators"] * indicator
    )
    assert row["score"] == round(max(0.0, expected - row["inputs"]["cards"]["points"]), 2)


@pytest.mark.parametrize(
    ("user", "change", "status", "field"),
    [
        ("township", {"score": 101}, 422, "score"),
        ("township", {"score": -1}, 422, "score"),
        ("township", {"reason": ""}, 422, "reason"),
        ("township", {"incident": "outside"}, 422, "incident"),
        ("township", {"department": "D39"}, 422, "department"),
        ("command", {}, 403, None),
    ],
)
def test_bad_scores_are_refused(client, auth, engine, user, change, status, field) -> None:
    code, department = _case_in(engine, "150621001")
    outside, _ = _case_in(engine, "150621002")
    body = {"incident": code, "department": department, "score": 80, "reason": "理由", **change}
    if body["incident"] == "outside":
        body["incident"] = outside
    before = _snapshots(engine)
    answer = client.post("/api/v1/scores", json=body, headers=auth(user))
    assert answer.status_code == status, answer.text
    if field:
        assert field in {e["field"] for e in answer.json()["errors"]}
    assert _snapshots(engine) == before


def test_the_annual_evaluation(client, auth) -> None:
    review = client.put(
        "/api/v1/evaluations/reviews",
        json={"year": 2024, "kind": "township", "code": "150621003", "score": 92},
        headers=auth("command"),
    )
    assert review.status_code == 200, review.text
    body = client.get("/api/v1/evaluations", params={"year": 2024, "kind": "township"}).json()
    assert body["weights"] == {"quarters": 0.7, "review": 0.3}
    row = next(r for r in body["rows"] if r["code"] == "150621003")
    quarters = [s for s in row["quarters"] if s is not None]
    assert len(row["quarters"]) == 4 and row["quarter_mean"] == round(
        sum(quarters) / len(quarters), 2
    )
    assert row["score"] == round(0.7 * row["quarter_mean"] + 0.3 * 92, 2)
    grade = "优秀" if row["score"] >= 95 else "良好" if row["score"] >= 90 else "一般"
    assert (row["rank"], row["grade"], row["complete"]) == (1, grade, True)
    others = [r for r in body["rows"] if r["code"] != "150621003"]
    assert all(r["score"] is None and r["grade"] is None and not r["complete"] for r in others)


def test_rankings_need_access_to_the_cases(client, auth) -> None:
    answer = client.get(
        URL, params={"quarter": "2024-Q3", "kind": "township"}, headers=auth("party_member")
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("table", "column"), [("ranking_snapshot", "kind"), ("case_score", "reason")]
)
def test_the_service_may_only_append_rankings_and_scores(database, table: str, column: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ProgrammingError

    service = create_engine(database.service_url)
    try:
        for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
            with service.connect() as conn, pytest.raises(ProgrammingError, match="permission"):
                conn.execute(text(statement))
    finally:
        service.dispose()
