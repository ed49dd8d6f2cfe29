"""Visits, the cadence and the sweep's reminders on households made in the test (rolled back).

The grid worker of the demo account visits households of their own grid; a household of
another grid is not found, a visit in the future is refused naming ``at``; the coverage of
the made micro-grids is checked figure by figure against the households as the test made
them; the supervision sweep reminds each member once a China day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, text

from access.accounts import Role
from cases.loop import supervision
from cases.routines import cadence, coverage, meetings, visits
from geo.areas import current_generation
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.scope import Scope

NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 China time, a day no other test sweeps


@dataclass(frozen=True)
class Who:
    username: str
    member_id: int | None
    scope: Scope
    role: Role = Role.GRID_WORKER


@pytest.fixture
def made(conn: Connection, accounts) -> dict:
    """Two micro-grids made inside the demo grid worker's grid (A with a party member and
    three households, B with two and no member) and one household in another grid's sample
    micro-grid; in A one household tagged low-income (30 days) and one claimed."""
    worker = accounts["grid_worker"]
    grid = worker.area_code
    a = _micro_grid(conn, grid, "98")
    b = _micro_grid(conn, grid, "99")
    conn.execute(
        text(
            "INSERT INTO member (id, kind, name, area_id) "
            "SELECT max(id) + 1, 'party_member', '测试党员', :a FROM member"
        ),
        {"a": a.id},
    )
    other = conn.execute(
        text(
            "SELECT id, code FROM area WHERE level = 'micro_grid' AND generation_high IS NULL "
            "AND left(code, length(:g)) <> :g ORDER BY code LIMIT 1"
        ),
        {"g": grid},
    ).one()
    plan = [("TA1", a), ("TA2", a), ("TA3", a), ("TB1", b), ("TB2", b), ("TX1", other)]
    ids = {code: _household(conn, code, mg.id) for code, mg in plan}
    person = conn.execute(
        text(
            "INSERT INTO person (household_id, name, id_number, id_hash, sex) "
            "VALUES (:h, '测试人', '150621198001019012', 'test-hash-routines', 'female') "
            "RETURNING id"
        ),
        {"h": ids["TA2"]},
    ).scalar_one()
    conn.execute(
        text("INSERT INTO person_tag (person_id, tag) VALUES (:p, 'low_income')"), {"p": person}
    )
    conn.execute(
        text("UPDATE household SET claimed_by_member_id = :m WHERE id = :h"),
        {"m": worker.member_id, "h": ids["TA1"]},
    )
    who = Who("grid_worker", worker.member_id, Scope(area_prefix=grid))
    return {"who": who, "ids": ids, "a": a.code, "b": b.code, "other": other.code, "grid": grid}


def _micro_grid(conn: Connection, grid: str, suffix: str):
    """A small live micro-grid ``<grid><suffix>`` in the current generation, inside the grid."""
    return conn.execute(
        text(
            "INSERT INTO area (code, name, level, parent_id, generation_low, geom) "
            "SELECT :code, '测试微网格' || :s, 'micro_grid', g.id, g.generation_low, "
            "ST_Multi(ST_Buffer(ST_PointOnSurface(g.geom), 0.0001, 4)) "
            "FROM area g WHERE g.code = :grid AND g.generation_high IS NULL "
            "RETURNING id, code"
        ),
        {"code": grid + suffix, "s": suffix, "grid": grid},
    ).one()


def _household(conn: Connection, code: str, micro_grid_id: int) -> int:
    house = conn.execute(
        text(
            "INSERT INTO house (code, name, geom, micro_grid_id) "
            "SELECT :c, :c || '号院', ST_PointOnSurface(geom), id FROM area WHERE id = :mg "
            "RETURNING id"
        ),
        {"c": "H-" + code, "mg": micro_grid_id},
    ).scalar_one()
    return conn.execute(
        text("INSERT INTO household (code, house_id) VALUES (:c, :h) RETURNING id"),
        {"c": code, "h": house},
    ).scalar_one()


def _count(conn: Connection) -> tuple[int, int]:
    return conn.execute(
        text("SELECT (SELECT count(*) FROM contact), (SELECT count(*) FROM contact_household)")
    ).one()


def test_a_visit_is_written_with_its_households_position_and_masked_member(conn, made):
    before = _count(conn)
    at = NOW - timedelta(hours=1)
    visit = visits.Visit(
        ["TA1", "TA3"], "visit", "反映路灯不亮，电话13812345678", at, [], 110.0, 40.4, "cgcs2000"
    )
    answer = visits.record(conn, made["who"], visit, now=NOW)
    assert _count(conn) == (before[0] + 1, before[1] + 2)
    assert answer["households"] == ["TA1", "TA3"]
    assert answer["micro_grid"] == made["a"]
    assert answer["channel_label"] == "入户"
    assert answer["needs"] == "反映路灯不亮，电话138****5678"
    assert (answer["lon"], answer["lat"]) == (110.0, 40.4)
    assert answer["at"] == at.isoformat()
    assert answer["member"]["id"] == made["who"].member_id
    assert answer["member"]["name"].endswith("*")
    listed = visits.contacts(conn, made["who"].scope, household="TA3")
    assert [c["id"] for c in listed][:1] == [answer["id"]]


def test_a_visit_in_the_future_is_refused_naming_at(conn, made):
    before = _count(conn)
    later = NOW + timedelta(minutes=6)
    with pytest.raises(InvalidInput) as refused:
        visits.record(conn, made["who"], visits.Visit(["TA1"], "phone", at=later), now=NOW)
    assert refused.value.field == "at"
    assert "future" in refused.value.problem
    assert _count(conn) == before
    # within the clock skew it is taken
    visits.record(
        conn, made["who"], visits.Visit(["TA1"], "phone", at=NOW + timedelta(minutes=4)), now=NOW
    )


def test_a_household_outside_the_members_area_is_not_found_and_nothing_is_written(conn, made):
    before = _count(conn)
    for households in (["TX1"], ["TA1", "TX1"], ["NO-SUCH"]):
        with pytest.raises(NotFound, match="does not exist in your area"):
            visits.record(conn, made["who"], visits.Visit(households, "visit"), now=NOW)
    assert _count(conn) == before
    nobody = Who("admin", None, Scope())
    with pytest.raises(Forbidden):
        visits.record(conn, nobody, visits.Visit(["TA1"], "visit"), now=NOW)
    with pytest.raises(InvalidInput) as refused:
        visits.record(
            conn, made["who"], visits.Visit(["TA1"], "visit", incident_codes=["DLT-0"]), now=NOW
        )
    assert refused.value.field == "incident_codes.0"
    assert _count(conn) == before


def _visit(conn, made, codes, days_ago):
    at = NOW - timedelta(days=days_ago)
    visits.record(conn, made["who"], visits.Visit(codes, "visit", at=at), now=NOW)


def test_coverage_of_the_made_micro_grids_figure_by_figure(conn, made):
    _visit(conn, made, ["TA1"], 10)  # ordinary, inside 182 days
    _visit(conn, made, ["TA2"], 40)  # low-income: 30 days, overdue
    _visit(conn, made, ["TB1"], 20)  # ordinary: visited, but B had no contact in 14 days
    g = current_generation(conn)
    scope = made["who"].scope
    listed = coverage.coverage(conn, scope, g, level="micro_grid", now=NOW)["areas"]
    by_code = {x["code"]: x for x in listed}
    a, b = by_code[made["a"]], by_code[made["b"]]
    assert (a["households"], a["claimed"], a["visited"], a["overdue"]) == (3, 1, 1, 2)
    assert (a["claimed_share"], a["visited_share"]) == (0.3333, 0.3333)
    assert a["last_contact"] == (NOW - timedelta(days=10)).isoformat()
    assert (a["members"], a["micro_grids"], a["uncovered"]) == (2, 1, 0)  # and the grid worker
    assert (b["households"], b["claimed"], b["visited"], b["overdue"]) == (2, 0, 1, 1)
    assert (b["members"], b["uncovered"]) == (1, 1)  # the grid worker; 20 days since a contact
    assert b["last_contact"] == (NOW - timedelta(days=20)).isoformat()
    assert made["other"] not in by_code  # outside the grid worker's scope
    grid = coverage.coverage(conn, scope, g, level="grid", now=NOW)["areas"]
    assert [x["code"] for x in grid] == [made["grid"]]
    for key in ("households", "claimed", "visited", "overdue", "uncovered"):
        assert grid[0][key] == sum(x[key] for x in listed), key
    assert grid[0]["micro_grids"] == len(listed)
    assert grid[0]["last_contact"] == max(x["last_contact"] for x in listed if x["last_contact"])
    with pytest.raises(InvalidInput) as refused:
        coverage.coverage(conn, scope, g, level="street")
    assert refused.value.field == "level"


def test_my_area_lists_overdue_households_first_with_tags_by_mark(conn, made):
    _visit(conn, made, ["TA1"], 10)
    conn.execute(
        text(
            "INSERT INTO person_tag (person_id, tag) SELECT id, 'community_correction' "
            "FROM person WHERE id_hash = 'test-hash-routines'"
        )
    )
    g = current_generation(conn)
    mine = cadence.my_area(conn, made["who"], g, p3=True, now=NOW)
    assert mine["member_id"] == made["who"].member_id
    a = next(x for x in mine["micro_grids"] if x["code"] == made["a"])
    rows = {h["code"]: h for h in a["household_list"]}
    assert [h["overdue"] for h in a["household_list"]] == sorted(
        (h["overdue"] for h in a["household_list"]), reverse=True
    )
    assert rows["TA1"]["overdue"] is False and rows["TA3"]["overdue"] is True
    assert rows["TA1"]["responsible"]["id"] == made["who"].member_id
    assert [t["tag"] for t in rows["TA2"]["tags"]] == ["community_correction", "low_income"]
    hidden = cadence.my_area(conn, made["who"], g, p3=False, now=NOW)
    a = next(x for x in hidden["micro_grids"] if x["code"] == made["a"])
    assert [t["tag"] for t in {h["code"]: h for h in a["household_list"]}["TA2"]["tags"]] == [
        "low_income"
    ]
    assert cadence.sees_p3(Role.PARTY_MEMBER) is False


def test_the_sweep_reminds_each_member_once_a_day(conn, made):
    worker = made["who"].member_id
    first = supervision.sweep(conn, NOW)
    assert first is not None and first["routine_reminder"] >= 1
    rows = conn.execute(
        text("SELECT member_id, households, micro_grids FROM routine_reminder WHERE day = :d"),
        {"d": datetime(2027, 3, 1).date()},
    ).all()
    assert len(rows) == first["routine_reminder"] == len({r.member_id for r in rows})
    mine = next(r for r in rows if r.member_id == worker)
    assert mine.households >= 5 and mine.micro_grids >= 2  # the made ones: never visited
    again = supervision.sweep(conn, NOW + timedelta(hours=3))
    assert again is not None and again["routine_reminder"] == 0
    assert cadence.sweep_routines(conn, NOW + timedelta(hours=13)) == Counter()  # 23:00 China
    next_day = cadence.sweep_routines(conn, NOW + timedelta(hours=22))
    assert next_day["routine_reminder"] == first["routine_reminder"]


def test_a_council_gets_the_months_agenda_and_a_meeting_its_level(conn, made):
    village = made["a"][:12]
    row = conn.execute(
        text(
            "SELECT to_char(i.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, "
            "count(*) AS n FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "WHERE left(q.code, 12) = :v GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ),
        {"v": village},
    ).one()
    agenda = meetings.agenda(conn, Scope(), village, row.month)
    assert agenda["counts"]["reported"] == row.n == len(agenda["items"])
    at = datetime.fromisoformat(row.month + "-28T19:00:00+08:00")
    who = Who("township", None, Scope(), Role.TOWNSHIP)
    g = current_generation(conn)
    held = meetings.record(
        conn, who, meetings.MeetingIn("village_council", village, at, ["王小明"]), g, now=NOW
    )
    assert [i["code"] for i in held["agenda"]] == [i["code"] for i in agenda["items"]]
    assert held["attendees"] == ["王**"]
    with pytest.raises(InvalidInput) as refused:
        meetings.record(conn, who, meetings.MeetingIn("grid_meeting", village, at), g, now=NOW)
    assert refused.value.field == "area_code"
    with pytest.raises(InvalidInput) as refused:
        meetings.agenda(conn, Scope(), village, "2026-13")
    assert refused.value.field == "month"
