"""GET /api/v1/incidents/summary and cases.figures: the command centre's four figures.

The expected figures are counted in Python over the incident rows, with the closed statuses
spelled out here, not taken from the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import text

from api.schemas import IncidentSummary
from cases.figures import summary
from geo.scope import WHOLE_BANNER, Scope

DONE = {"void", "closed", "evaluated"}
CHINA = timezone(timedelta(hours=8))


def _expected(conn, now: datetime, prefix: str | None = None, department: str | None = None):
    rows = conn.execute(
        text(
            "SELECT i.status::text AS status, i.reported_at, "
            "coalesce(i.step_due_at, i.deadline_at) AS due, q.code AS queue, "
            "d.code AS department FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "JOIN department d ON d.id = i.department_id"
        )
    ).all()
    midnight = datetime.combine(now.astimezone(CHINA).date(), datetime.min.time(), CHINA)
    mine = [
        r
        for r in rows
        if (prefix is None or r.queue.startswith(prefix))
        and (department is None or r.department == department)
    ]
    open_ = [r for r in mine if r.status not in DONE]
    running = [r for r in open_ if r.status != "hung"]  # a hung case's clock stands still
    return {
        "new_today": sum(r.reported_at >= midnight for r in mine),
        "open": len(open_),
        "due_24h": sum(now <= r.due < now + timedelta(hours=24) for r in running),
        "overdue": sum(r.due < now for r in running),
    }


def _figures(found) -> dict[str, int]:
    return {k: getattr(found, k) for k in ("new_today", "open", "due_24h", "overdue")}


def test_figures_count_new_open_due_and_overdue(conn):
    now = datetime.now(UTC)
    # make every figure non-zero: three open incidents due soon, two reported today
    conn.execute(
        text(
            "UPDATE incident SET deadline_at = :soon, step_due_at = NULL WHERE id IN "
            "(SELECT id FROM incident "
            "WHERE status = 'dispatched' ORDER BY id LIMIT 3)"
        ),
        {"soon": now + timedelta(hours=5)},
    )
    conn.execute(
        text(
            "UPDATE incident SET reported_at = :today WHERE id IN (SELECT id FROM incident "
            "WHERE status = 'evaluated' ORDER BY id LIMIT 2)"
        ),
        {"today": now - timedelta(minutes=1)},
    )
    found = summary(conn, scope=WHOLE_BANNER, now=now)
    expected = _expected(conn, now)
    assert _figures(found) == expected
    assert expected["due_24h"] >= 3 and expected["new_today"] >= 2 and expected["overdue"] > 0
    assert found.as_of == now and found.as_of.utcoffset() == timedelta(hours=8)


def test_today_starts_at_midnight_china_time(conn):
    # 16:30 UTC on 4 December is 00:30 on 5 December in China: "today" is 5 December
    now = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)
    conn.execute(
        text(
            "UPDATE incident SET reported_at = :at WHERE id IN (SELECT id FROM incident "
            "ORDER BY id LIMIT 2)"
        ),
        {"at": datetime(2026, 12, 4, 16, 5, tzinfo=UTC)},  # 00:05 China time: today
    )
    conn.execute(
        text(
            "UPDATE incident SET reported_at = :at WHERE id IN (SELECT id FROM incident "
            "ORDER BY id OFFSET 2 LIMIT 3)"
        ),
        {"at": datetime(2026, 12, 4, 15, 55, tzinfo=UTC)},  # 23:55 the day before
    )
    # cases other tests of the session filed in real time may fall on that day too
    others = conn.execute(
        text(
            "SELECT count(*) FROM incident WHERE reported_at >= :midnight AND id NOT IN "
            "(SELECT id FROM incident ORDER BY id LIMIT 5)"
        ),
        {"midnight": datetime(2026, 12, 4, 16, 0, tzinfo=UTC)},
    ).scalar_one()
    assert summary(conn, scope=WHOLE_BANNER, now=now).new_today == 2 + others


def test_figures_follow_the_scope_and_the_area(conn):
    now = datetime.now(UTC)
    township = summary(conn, scope=Scope(area_prefix="150621001"), now=now)
    assert _figures(township) == _expected(conn, now, prefix="150621001")
    narrowed = summary(conn, scope=WHOLE_BANNER, area="150621002", now=now)
    assert _figures(narrowed) == _expected(conn, now, prefix="150621002")
    department = summary(conn, scope=Scope(department="D01"), now=now)
    assert _figures(department) == _expected(conn, now, department="D01")
    assert township.open + narrowed.open < summary(conn, scope=WHOLE_BANNER, now=now).open


def test_summary_endpoint_in_the_callers_scope(client, auth, engine):
    whole = client.get("/api/v1/incidents/summary")
    assert whole.status_code == 200, whole.text
    body = IncidentSummary.model_validate(whole.json())
    with engine.connect() as conn:
        assert _figures(body) == _expected(conn, body.as_of)
        assert _figures(
            IncidentSummary.model_validate(
                client.get("/api/v1/incidents/summary", headers=auth("township")).json()
            )
        ) == _expected(conn, body.as_of, prefix="150621001")
    assert whole.json()["as_of"].endswith("+08:00")


def test_summary_refuses_a_bad_area_naming_it(client):
    response = client.get("/api/v1/incidents/summary", params={"area": "abc"})
    assert response.status_code == 422
    assert [(e["where"], e["field"]) for e in response.json()["errors"]] == [("query", "area")]
