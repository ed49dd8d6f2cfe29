"""The closed loop's clock: the working-day calendar, time limits as data, the supervision sweep.

The oracle for the calendar is the State Council's published 2026 schedule (国办发明电〔2025〕
7号), written out here by hand: Mid-Autumn 25–27 September and National Day 1–7 October off,
Sunday 20 September and Saturday 10 October worked. The sweep tests commit (two workers need
two connections), on cases whose deadlines lie in 2030, after any real clock the service's own
background sweep could read, and put everything back afterwards.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from api.broadcast import conninfo
from cases.loop import calendar, limits, supervision
from cases.loop.calendar import Calendar, add_working, at
from geo.errors import InvalidInput
from geo.settings import Settings

D = Decimal

#: 2026's days off on a weekday and days worked on a weekend, by hand from the schedule.
OFF_2026 = {date(2026, 9, 25)} | {date(2026, 10, d) for d in (1, 2, 5, 6, 7)}
WORKED_WEEKEND_2026 = {date(2026, 9, 20), date(2026, 10, 10)}


def _by_hand(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` on the schedule above."""
    day = start
    while count:
        day += timedelta(days=1)
        weekday = day.weekday() < 5
        if (weekday and day not in OFF_2026) or day in WORKED_WEEKEND_2026:
            count -= 1
    return day


# --- the calendar ----------------------------------------------------------------------------


def test_dispatched_before_national_day_with_five_working_days(conn):
    start = at(2026, 9, 30, 15, 0)  # Wednesday afternoon, the day before the holiday
    due = add_working(conn, start, D(5), "work_days")
    assert due == at(2026, 10, 13, 15, 0)
    assert due.date() == _by_hand(date(2026, 9, 30), 5)  # 8, 9, 10 (Sat), 12, 13 October
    # the same through the case's own limit: category 0104 is handled in 120 h = 5 WD
    case = SimpleNamespace(category_code="0104", urgent=False)
    assert limits.limit_for(conn, "0104", False, "handle") == limits.Limit(
        D(5), "work_days", D(5), D(10)
    )
    assert limits.step_due(conn, case, "handle", start) == at(2026, 10, 13, 15, 0)


def test_make_up_working_weekend_days_count(conn):
    # Friday 18 September + 1 WD: Sunday 20 September is worked
    assert add_working(conn, at(2026, 9, 18, 15, 0), D(1), "work_days") == at(2026, 9, 20, 15, 0)
    # Friday 9 October + 1 WD: Saturday 10 October is worked
    assert add_working(conn, at(2026, 10, 9, 9, 0), D(1), "work_days") == at(2026, 10, 10, 9, 0)
    # an ordinary Saturday is not: Friday 16 October + 1 WD is Monday 19 October
    assert add_working(conn, at(2026, 10, 16, 9, 0), D(1), "work_days") == at(2026, 10, 19, 9, 0)
    # every working day of September and October 2026, three working days on, against the hand
    cal = calendar.load(conn)
    starts = [date(2026, 9, 1) + timedelta(days=n) for n in range(61)]
    worked = [d for d in starts if cal.is_working(d)]
    assert len(worked) == 22 + 18  # September: 22 (20th in, 25th out); October: 18 (10th in)
    for start in worked:
        due = cal.add(at(start.year, start.month, start.day, 15), D(3), "work_days")
        assert due.date() == _by_hand(start, 3), start


def test_a_work_day_row_overrides_the_package(conn):
    conn.execute(text("INSERT INTO work_day VALUES ('2026-10-12', false, '测试：临时休假')"))
    assert add_working(conn, at(2026, 9, 30, 15, 0), D(5), "work_days") == at(2026, 10, 14, 15, 0)
    conn.execute(text("INSERT INTO work_day VALUES ('2026-10-17', true, '测试：补班')"))
    assert add_working(conn, at(2026, 10, 16, 9, 0), D(1), "work_days") == at(2026, 10, 17, 9, 0)


def test_hours_across_lunch_and_nights(conn):
    cases = [
        (at(2026, 12, 4, 11, 0), D(2), "work_hours", at(2026, 12, 4, 15, 30)),  # lunch
        (at(2026, 12, 4, 17, 0), D(2), "work_hours", at(2026, 12, 7, 9, 30)),  # Fri night
        (at(2026, 12, 3, 20, 0), D(1), "work_hours", at(2026, 12, 4, 9, 30)),  # evening
        (at(2026, 12, 4, 8, 30), D("3.5"), "work_hours", at(2026, 12, 4, 12, 0)),  # span end
        (at(2026, 12, 4, 10, 0), D("0.5"), "work_days", at(2026, 12, 4, 16, 0)),
        (at(2026, 12, 4, 23, 55), D(10), "minutes", at(2026, 12, 5, 0, 5)),  # the clock's
        (at(2026, 12, 5, 10, 0), D(7), "work_hours", at(2026, 12, 7, 18, 0)),  # Saturday
    ]
    for start, amount, unit, expected in cases:
        assert add_working(conn, start, amount, unit) == expected, (start, amount, unit)


def test_working_hours_are_a_setting():
    hours = calendar.WorkingHours.parse("09:00-13:00,14:00-17:00")
    cal = Calendar(hours=hours)
    assert hours.seconds_per_day == 7 * 3600
    assert cal.add(at(2026, 12, 4, 12, 0), D(2), "work_hours") == at(2026, 12, 4, 15, 0)
    assert cal.add(at(2026, 12, 4, 16, 0), D(1), "work_days") == at(2026, 12, 7, 16, 0)
    with pytest.raises(ValueError, match="08:30-12:00"):
        create_app(Settings(working_hours="8.30 to 12"))


def test_the_sweeps_inverse_and_the_clock_while_hung():
    cal = Calendar()
    for start in (at(2026, 9, 30, 15), at(2026, 9, 30, 11, 59), at(2026, 10, 9, 17, 30)):
        for amount in (D(1), D(2), D(5), D(10)):
            due = cal.add(start, amount, "work_days")
            assert cal.back(due, amount, "work_days") == start
    # hung at 10:00 on 30 September, due at 15:00 on 9 October: 16.5 working hours were left
    due, hung = at(2026, 10, 9, 15, 0), at(2026, 9, 30, 10, 0)
    left = cal.between(hung, due)
    assert left == (2 + 3.5 + 7 + 3.5 + 0.5) * 3600  # 30 September, 8 and 9 October
    # resumed on Monday 12 October at 8:30: 7 + 7 + 2.5 hours on
    assert cal.forward(at(2026, 10, 12, 8, 30), left) == at(2026, 10, 14, 11, 0)


def test_resumed_and_delayed_deadlines(conn):
    due = at(2026, 10, 9, 15, 0)
    resumed = limits.resumed_due(conn, due, at(2026, 9, 30, 10, 0), at(2026, 10, 12, 8, 30))
    assert resumed == at(2026, 10, 14, 11, 0)
    # hung one working hour late, resumed at 9:00 on Monday: one working hour late still (half
    # an hour of Monday, half of the worked Saturday before)
    late = limits.resumed_due(conn, due, at(2026, 10, 9, 16, 0), at(2026, 10, 12, 9, 0))
    assert late == at(2026, 10, 10, 17, 30)
    # a delay of 3 WD: 10 (Saturday, worked), 12 and 13 October
    assert limits.delayed_due(conn, due, D(3)) == at(2026, 10, 13, 15, 0)
    with pytest.raises(InvalidInput, match="delay_days"):
        limits.delayed_due(conn, due, D(11))


def test_a_year_the_package_does_not_cover(conn):
    assert calendar.package_covers(2026) and not calendar.package_covers(2027)
    view = calendar.year_view(conn, 2027)
    assert (view["source"], view["overrides"], view["days"]) == ("weekdays", [], [])
    assert "尚未录入" in view["note"]
    # Friday 31 December 2026 + 1 WD: New Year's Day 2027 is a Friday, worked until a row says
    assert add_working(conn, at(2026, 12, 31, 9), D(1), "work_days") == at(2027, 1, 1, 9)
    conn.execute(text("INSERT INTO work_day VALUES ('2027-01-01', false, '元旦')"))
    assert add_working(conn, at(2026, 12, 31, 9), D(1), "work_days") == at(2027, 1, 4, 9)
    assert calendar.year_view(conn, 2027)["source"] == "data"


# --- the supervision sweep ---------------------------------------------------------------------

NOW = at(2030, 6, 12, 10, 0)  # a Wednesday; 2030 is worked Monday–Friday (no rows)


def _cases(engine: Engine) -> dict[str, int]:
    """Four sample cases made into: a handling case 11 WD late (urge, 通报, yellow, red), a case
    waiting 3 WD past its accept deadline (urge, yellow), one due within 48 h (warning), and a
    hung one long overdue (nothing: the clock stands still). Their old state is kept."""
    cal = Calendar()
    with engine.begin() as c:
        ids = c.execute(
            text(
                "SELECT id FROM incident WHERE category_code = '0104' AND urgent = false "
                "ORDER BY id LIMIT 4"
            )
        ).scalars()
        late, waiting, soon, hung = ids
        c.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_clock_saved AS SELECT * FROM incident WHERE false"
            )
        )
        c.execute(
            text("INSERT INTO test_clock_saved SELECT * FROM incident WHERE id = ANY(:ids)"),
            {"ids": [late, waiting, soon, hung]},
        )
        setting = [
            (late, "in_progress", cal.back(NOW, D(11), "work_days"), True),
            (waiting, "reported", cal.back(NOW, D(3), "work_days"), False),
            (soon, "in_progress", NOW + timedelta(hours=30), True),
            (hung, "hung", cal.back(NOW, D(30), "work_days"), True),
        ]
        for case_id, status, due, handling in setting:
            c.execute(
                text(
                    "UPDATE incident SET status = :s, step_due_at = :d, deadline_at = :d, "
                    "handling_started_at = CASE WHEN :h THEN :d - interval '10 days' END, "
                    "card = 'none', version = 1 WHERE id = :id"
                ),
                {"s": status, "d": due, "h": handling, "id": case_id},
            )
    return {"late": late, "waiting": waiting, "soon": soon, "hung": hung}


def _restore(engine: Engine, cases: dict[str, int]) -> None:
    ids = list(cases.values())
    with engine.begin() as c:
        c.execute(text("SET LOCAL session_replication_role = replica"))
        c.execute(
            text(
                "DELETE FROM incident_event WHERE incident_id = ANY(:ids) AND kind = 'supervision'"
            ),
            {"ids": ids},
        )
        c.execute(
            text("DELETE FROM supervision_notice WHERE incident_id = ANY(:ids)"), {"ids": ids}
        )
        c.execute(
            text(
                "UPDATE incident i SET status = s.status, step_due_at = s.step_due_at, "
                "deadline_at = s.deadline_at, handling_started_at = s.handling_started_at, "
                "card = s.card, version = s.version FROM test_clock_saved s WHERE s.id = i.id"
            )
        )
        c.execute(text("DROP TABLE test_clock_saved"))


@pytest.fixture
def swept_cases(engine):
    # The sample history's open cases have waited since 2024: a first sweep issues their
    # notices, so that the sweeps below find only the four cases made here.
    supervision.run(engine, NOW)
    cases = _cases(engine)
    yield cases
    _restore(engine, cases)


def _issued(engine: Engine, cases: dict[str, int]) -> dict[str, list[str]]:
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT incident_id, data->>'card' AS card FROM incident_event "
                "WHERE kind = 'supervision' AND action = 'card' AND incident_id = ANY(:ids) "
                "ORDER BY incident_id, data->>'card'"
            ),
            {"ids": list(cases.values())},
        ).all()
    names = {v: k for k, v in cases.items()}
    found: dict[str, list[str]] = {name: [] for name in cases}
    for r in rows:
        found[names[r.incident_id]].append(r.card)
    return found


EXPECTED = {
    "late": ["notice", "red", "urge", "yellow"],
    "waiting": ["urge", "yellow"],
    "soon": ["warning"],
    "hung": [],
}


def test_the_sweep_run_twice_issues_each_notice_once(engine, swept_cases, database):
    listener = psycopg.connect(conninfo(database.service_url), autocommit=True)
    listener.execute("LISTEN incidents")
    first = supervision.run(engine, NOW)
    assert first == Counter({"urge": 2, "yellow": 2, "red": 1, "warning": 1, "notice": 1})
    assert supervision.run(engine, NOW) == Counter()
    assert supervision.run(engine, NOW + timedelta(minutes=1)) == Counter()
    assert _issued(engine, swept_cases) == EXPECTED
    with engine.connect() as c:
        state = {
            r.id: (r.version, r.card)
            for r in c.execute(
                text("SELECT id, version, card FROM incident WHERE id = ANY(:ids)"),
                {"ids": list(swept_cases.values())},
            )
        }
        codes = dict(
            c.execute(
                text("SELECT id, code FROM incident WHERE id = ANY(:ids)"),
                {"ids": list(swept_cases.values())},
            ).all()
        )
    assert [state[swept_cases[k]] for k in ("late", "waiting", "soon", "hung")] == [
        (2, "red"),
        (2, "yellow"),
        (2, "none"),
        (1, "none"),
    ]
    events = [n.payload for n in listener.notifies(timeout=2, stop_after=3)]
    listener.close()
    assert sorted(e.split('"code": "')[1].split('"')[0] for e in events) == sorted(
        codes[swept_cases[k]] for k in ("late", "waiting", "soon")
    )
    assert all('"kind": "changed"' in e for e in events)


def _two_at_once(engine: Engine, now) -> list[Counter[str] | None]:
    """Two sweeps at ``now`` started together on two connections; what each issued."""
    start = threading.Barrier(2)
    results: list[Counter[str] | None] = []

    def sweep() -> None:
        start.wait()
        results.append(supervision.run(engine, now))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    return results


def test_two_sweeps_at_once_issue_each_notice_once(engine, swept_cases):
    total = sum((r for r in _two_at_once(engine, NOW) if r), Counter())
    assert total == Counter({"urge": 2, "yellow": 2, "red": 1, "warning": 1, "notice": 1})
    assert _issued(engine, swept_cases) == EXPECTED
    # Later, past the red limit of the waiting case and its 通报 (5 WD after its deadline:
    # 2 WD on): each once, by two sweeps at once and a third after them.
    later = Calendar().add(NOW, D(2), "work_days")
    total = sum((r for r in _two_at_once(engine, later) if r), Counter())
    del total["routine_reminder"]  # a new China day: the routines' reminders (#16) go out too
    assert total == Counter({"red": 1, "notice": 1})
    assert supervision.run(engine, later) == Counter()
    assert _issued(engine, swept_cases) == EXPECTED | {
        "waiting": ["notice", "red", "urge", "yellow"]
    }
    # The 通报 is a trail entry in Chinese, and raises no card.
    with engine.connect() as c:
        row = c.execute(
            text(
                "SELECT e.reason, i.card FROM incident_event e JOIN incident i "
                "ON i.id = e.incident_id WHERE e.incident_id = :id AND e.data->>'card' = 'notice'"
            ),
            {"id": swept_cases["waiting"]},
        ).one()
    assert (row.reason, row.card) == ("通报：超过期限五个工作日", "red")


def test_a_sweep_that_does_not_get_the_lock_does_nothing(engine, swept_cases):
    with engine.begin() as holder:
        assert supervision.sweep(holder, NOW) is not None
        assert supervision.run(engine, NOW) is None  # the holder has not committed
    assert _issued(engine, swept_cases) == EXPECTED


# --- the admin API ---------------------------------------------------------------------------

LIMIT = "/api/v1/time-limits"


def _fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_time_limits_are_listed_and_changed_by_an_administrator(client, auth, engine):
    rows = client.get(LIMIT, headers=auth("grid_worker")).json()
    star = {(r["urgent"], r["step"]): r for r in rows if r["category_code"] == "*"}
    assert len(star) == 14 and rows[0]["category_code"] == "*"
    assert star[(False, "accept")] | {} == {
        "category_code": "*",
        "urgent": False,
        "step": "accept",
        "amount": "0.5",
        "unit": "work_days",
        "yellow_after": "2",
        "red_after": "5",
    }
    body = {"urgent": False, "amount": 3, "unit": "work_days", "yellow_after": 2, "red_after": 4}
    answer = client.put(f"{LIMIT}/0104/handle", json=body)
    try:
        assert answer.status_code == 200, answer.text
        assert answer.json()["amount"] == "3" and answer.json()["red_after"] == "4"
        with engine.connect() as c:
            case = SimpleNamespace(category_code="0104", urgent=False)
            # 8, 9 and 10 (Saturday, worked) October
            due = limits.step_due(c, case, "handle", at(2026, 9, 30, 15))
            assert due == at(2026, 10, 10, 15)
            audit = c.execute(
                text(
                    "SELECT actor, before->>'amount', after->>'amount' FROM audit_log "
                    "WHERE action = 'time_limit.update' ORDER BY id DESC LIMIT 1"
                )
            ).one()
        assert tuple(audit) == ("admin", "5", "3")
    finally:
        restore = {"urgent": False, "amount": 5, "unit": "work_days"}
        restore |= {"yellow_after": 5, "red_after": 10}
        assert client.put(f"{LIMIT}/0104/handle", json=restore).status_code == 200


@pytest.mark.parametrize("role", ["command", "planner", "township", "department", "grid_worker"])
def test_only_an_administrator_changes_limits_and_the_calendar(client, auth, role):
    body = {"urgent": False, "amount": 1, "unit": "work_days"}
    assert client.put(f"{LIMIT}/*/sign", json=body, headers=auth(role)).status_code == 403
    answer = client.put("/api/v1/calendar/2027", json={"overrides": []}, headers=auth(role))
    assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("0104/handle", {"urgent": False, "amount": -1, "unit": "work_days"}, "amount"),
        ("0104/handle", {"urgent": False, "amount": 1, "unit": "weeks"}, "unit"),
        ("0104/handle", {"urgent": False, "amount": 300, "unit": "work_days"}, "amount"),
        ("9999/handle", {"urgent": False, "amount": 1, "unit": "work_days"}, "category"),
        ("0104/lunch", {"urgent": False, "amount": 1, "unit": "work_days"}, "step"),
        ("0104/handle", {"amount": 1, "unit": "work_days"}, "urgent"),
        (
            "0104/handle",
            {"urgent": False, "amount": 1, "unit": "work_days", "yellow_after": 5, "red_after": 2},
            "red_after",
        ),
        (
            "0104/handle",
            {"urgent": False, "amount": 1, "unit": "work_days", "yellow_after": 5},
            "red_after",
        ),
    ],
)
def test_a_bad_limit_is_refused_naming_the_field(client, engine, path, body, field):
    with engine.connect() as c:
        before = c.execute(text("SELECT count(*), sum(amount) FROM time_limit")).one()
    answer = client.put(f"{LIMIT}/{path}", json=body)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid")
    assert field in _fields(answer)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*), sum(amount) FROM time_limit")).one() == before


def test_the_calendar_api(client, auth, engine):
    year = client.get("/api/v1/calendar/2026", headers=auth("department")).json()
    assert year["source"] == "package" and year["overrides"] == []
    days = {d["day"]: d["working"] for d in year["days"]}
    assert {d for d, w in days.items() if w} >= {"2026-09-20", "2026-10-10"}
    assert {d for d, w in days.items() if not w} >= {"2026-10-01", "2026-10-07", "2026-09-25"}
    assert client.get("/api/v1/calendar/2027").json()["source"] == "weekdays"
    holidays = [
        {"day": "2027-01-01", "working": False, "note": "元旦"},
        {"day": "2027-01-03", "working": True, "note": "测试补班"},
    ]
    answer = client.put("/api/v1/calendar/2027", json={"overrides": holidays})
    try:
        assert answer.status_code == 200, answer.text
        assert answer.json()["source"] == "data"
        assert answer.json()["days"] == [
            {"day": "2027-01-01", "working": False, "source": "data"},
            {"day": "2027-01-03", "working": True, "source": "data"},
        ]
        with engine.connect() as c:
            due = add_working(c, at(2026, 12, 31, 9), D(1), "work_days")
            assert due == at(2027, 1, 3, 9)  # the make-up Sunday, not the holiday
    finally:
        assert client.put("/api/v1/calendar/2027", json={"overrides": []}).status_code == 200
    assert client.get("/api/v1/calendar/2027").json()["source"] == "weekdays"


@pytest.mark.parametrize(
    ("year", "body", "field"),
    [
        ("2027", {"overrides": [{"day": "2026-01-01", "working": False}]}, "overrides.0.day"),
        (
            "2027",
            {"overrides": [{"day": "2027-05-01", "working": False}] * 2},
            "overrides.1.day",
        ),
        ("2027", {"overrides": [{"day": "2027-05-01"}]}, "overrides.0.working"),
        ("1900", {"overrides": []}, "year"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_field(client, engine, year, body, field):
    with engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM work_day")).scalar_one()
    answer = client.put(f"/api/v1/calendar/{year}", json=body)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid")
    assert field in _fields(answer), answer.json()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM work_day")).scalar_one() == before
