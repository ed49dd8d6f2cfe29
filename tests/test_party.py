"""Party members (达拉特红, WORKFLOW.md §4.4): points, the report-in flag, the ranking, the rules.

The point tests build their own trail inside a transaction that is rolled back (``conn``):
a new party member in a micro-grid, a staff caller, tasks, claims and confirmations, some
confirmations written with the instant they happened (last year, this year) so the yearly
reset and the floor can be checked against figures worked out by hand in each test.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from access.accounts import Role
from api.auth import Principal
from cases.party import members, points, tasks
from cases.party.errors import PartyConflict
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.scope import WHOLE_BANNER, Scope

CHINA = timezone(timedelta(hours=8))


def _principal(role: Role, scope: Scope, member_id: int | None = None) -> Principal:
    return Principal(
        account_id=0,
        username=f"test-{role.value}",
        display_name="测试",
        role=role,
        scope=scope,
        member_id=member_id,
        via="bearer",
        client=None,
    )


@pytest.fixture
def place(conn):
    """A live micro-grid, its village and grid (codes), from the current generation."""
    row = conn.execute(
        text(
            "SELECT a.id, a.code FROM area a WHERE a.level = 'micro_grid' "
            "AND a.generation_high IS NULL AND a.code LIKE '150621003%' ORDER BY a.code LIMIT 1"
        )
    ).one()
    village = conn.execute(
        text(
            "SELECT code FROM area WHERE level = 'village' AND generation_high IS NULL "
            "AND left(:c, length(code)) = code"
        ),
        {"c": row.code},
    ).scalar_one()
    return {"micro_grid_id": row.id, "micro_grid": row.code, "village": village}


def _new_member(conn, place, name: str = "测试党员") -> Principal:
    member_id = conn.execute(
        text(
            "INSERT INTO member (id, kind, name, area_id) "
            "VALUES ((SELECT max(id) + 1 FROM member), 'party_member', :n, :a) RETURNING id"
        ),
        {"n": name, "a": place["micro_grid_id"]},
    ).scalar_one()
    return _principal(Role.PARTY_MEMBER, Scope(area_prefix=place["micro_grid"]), member_id)


@pytest.fixture
def staff():
    return _principal(Role.ADMIN, WHOLE_BANNER)


def _task_done(conn, staff, member, place, outcome: str) -> dict:
    task = tasks.publish(conn, staff, community=place["village"], title="清扫楼道")
    tasks.claim(conn, member, task["id"])
    return tasks.confirm(conn, staff, task["id"], outcome)


def _confirmed_at(conn, member: Principal, outcome: str, at: datetime, place, staff) -> None:
    """A completed or missed task whose confirmation happened at ``at`` (a hand-built trail)."""
    task = tasks.publish(conn, staff, community=place["village"], title="入户走访")
    claim_id = conn.execute(
        text("INSERT INTO party_claim (task_id, member_id) VALUES (:t, :m) RETURNING id"),
        {"t": task["id"], "m": member.member_id},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO party_confirmation (claim_id, outcome, confirmed_by, confirmed_at) "
            "VALUES (:c, :o, 'test', :at)"
        ),
        {"c": claim_id, "o": outcome, "at": at},
    )


def test_base_is_sixty(conn, place):
    member = _new_member(conn, place)
    mine = points.points(conn, member)
    assert (mine["base"], mine["points"], mine["completed"], mine["no_shows"]) == (60, 60, 0, 0)
    assert mine["registered"] is False


def test_five_points_a_completed_task(conn, place, staff):
    member = _new_member(conn, place)
    members.register(conn, member, micro_grid=None, skills=["理发"], availability="周末")
    for _ in range(3):
        _task_done(conn, staff, member, place, "completed")
    mine = points.points(conn, member)
    assert (mine["points"], mine["completed"]) == (60 + 3 * 5, 3)


def test_a_no_show_takes_ten(conn, place, staff):
    member = _new_member(conn, place)
    members.register(conn, member, micro_grid=None, skills=[], availability="")
    _task_done(conn, staff, member, place, "completed")
    _task_done(conn, staff, member, place, "no_show")
    mine = points.points(conn, member)
    assert (mine["points"], mine["completed"], mine["no_shows"]) == (60 + 5 - 10, 1, 1)


def test_the_floor_is_zero_at_every_step(conn, place, staff):
    member = _new_member(conn, place)
    year = datetime.now(CHINA).year
    start = datetime(year, 1, 2, 9, 0, tzinfo=CHINA)
    for day in range(7):  # 60 - 7 x 10 = -10: held at 0 from the sixth
        _confirmed_at(conn, member, "no_show", start + timedelta(days=day), place, staff)
    assert points.points(conn, member)["points"] == 0
    _confirmed_at(conn, member, "completed", start + timedelta(days=8), place, staff)
    assert points.points(conn, member)["points"] == 5  # from 0, not max(0, 60 - 70 + 5) = 0


def test_points_start_again_each_year(conn, place, staff):
    member = _new_member(conn, place)
    year = datetime.now(CHINA).year
    last_year = datetime(year - 1, 12, 31, 23, 30, tzinfo=CHINA)  # 15:30 UTC: still last year
    for _ in range(4):
        _confirmed_at(conn, member, "completed", last_year, place, staff)
    _confirmed_at(conn, member, "no_show", datetime(year, 1, 1, 0, 10, tzinfo=CHINA), place, staff)
    assert points.points(conn, member, year - 1)["points"] == 80
    this_year = points.points(conn, member, year)
    assert (this_year["points"], this_year["completed"], this_year["no_shows"]) == (50, 0, 1)


def test_quarterly_ranking_in_a_community(conn, place, staff):
    first = _new_member(conn, place, "甲党员")
    second = _new_member(conn, place, "乙党员")
    for member in (first, second):
        members.register(conn, member, micro_grid=None, skills=[], availability="")
    year = datetime.now(CHINA).year
    q2 = datetime(year, 5, 10, 10, 0, tzinfo=CHINA)
    q1 = datetime(year, 2, 10, 10, 0, tzinfo=CHINA)
    _confirmed_at(conn, first, "completed", q1, place, staff)
    _confirmed_at(conn, second, "completed", q2, place, staff)
    _confirmed_at(conn, second, "completed", q2, place, staff)
    found = points.ranking(conn, staff, place["village"], f"{year}-Q2")
    ours = {r["member"]["id"]: r for r in found["rows"]}
    assert ours[second.member_id]["points"] == 70 and ours[second.member_id]["completed"] == 2
    assert ours[first.member_id]["points"] == 65 and ours[first.member_id]["completed"] == 0
    assert ours[first.member_id]["member"]["name"] == "甲**"
    ranks = [r["rank"] for r in found["rows"]]
    assert ranks == points.competition_ranks([r["points"] for r in found["rows"]])
    assert ours[second.member_id]["rank"] < ours[first.member_id]["rank"]
    q1_ranking = points.ranking(conn, staff, place["village"], f"{year}-Q1")
    q1_ours = {r["member"]["id"]: r for r in q1_ranking["rows"]}
    assert (q1_ours[first.member_id]["points"], q1_ours[second.member_id]["points"]) == (65, 60)


def test_a_unit_under_95_percent_is_flagged(conn, place):
    village = place["village"]
    before = {u["code"]: u for u in members.units(conn, WHOLE_BANNER, within=village)}[village]
    members_now = before["members"]
    # add members until the share is known exactly: n new members, all reported in but one
    new = [_new_member(conn, place, f"新党员{i}") for i in range(3)]
    for member in new[:2]:
        members.register(conn, member, micro_grid=None, skills=[], availability="")
    after = {u["code"]: u for u in members.units(conn, WHOLE_BANNER, within=village)}[village]
    assert after["members"] == members_now + 3
    assert after["registered"] == before["registered"] + 2
    assert after["share"] == after["registered"] / after["members"]
    assert after["flagged"] == (after["share"] < 0.95)


def test_the_flag_threshold_is_95_percent(conn, place):
    """A unit of exactly 20 members: 19 reported in (95 %) is not flagged, 18 (90 %) is."""
    conn.execute(text("DELETE FROM party_registration"))
    cell = conn.execute(
        text("SELECT id, code FROM area WHERE id = :i"), {"i": place["micro_grid_id"]}
    ).one()
    village = place["village"]
    conn.execute(
        text(
            "UPDATE member SET kind = 'grid_worker' WHERE kind = 'party_member' "
            "AND area_id IN (SELECT id FROM area WHERE left(code, length(:v)) = :v)"
        ),
        {"v": village},
    )
    new = [
        _new_member(conn, {"micro_grid_id": cell.id, "micro_grid": cell.code}) for _ in range(20)
    ]
    for member in new[:18]:
        members.register(conn, member, micro_grid=None, skills=[], availability="")
    unit = members.units(conn, WHOLE_BANNER, within=village)[0]
    assert (unit["members"], unit["registered"], unit["share"], unit["flagged"]) == (
        20,
        18,
        0.9,
        True,
    )
    members.register(conn, new[18], micro_grid=None, skills=[], availability="")
    unit = members.units(conn, WHOLE_BANNER, within=village)[0]
    assert (unit["registered"], unit["share"], unit["flagged"]) == (19, 0.95, False)


def test_double_claim_and_double_confirmation_conflict(conn, place, staff):
    first, second = _new_member(conn, place), _new_member(conn, place)
    for member in (first, second):
        members.register(conn, member, micro_grid=None, skills=[], availability="")
    task = tasks.publish(conn, staff, community=place["village"], title="防汛值守")
    assert tasks.claim(conn, first, task["id"])["state"] == "claimed"
    with pytest.raises(PartyConflict):
        tasks.claim(conn, second, task["id"])
    with pytest.raises(PartyConflict):
        tasks.claim(conn, first, task["id"])
    assert tasks.confirm(conn, staff, task["id"], "completed")["state"] == "completed"
    with pytest.raises(PartyConflict):
        tasks.confirm(conn, staff, task["id"], "no_show")


def test_rules_on_who_may_do_what(conn, place, staff):
    member = _new_member(conn, place)
    task = tasks.publish(conn, staff, community=place["village"], title="敬老院帮扶")
    with pytest.raises(PartyConflict):  # not reported in yet
        tasks.claim(conn, member, task["id"])
    with pytest.raises(Forbidden):  # a party member does not publish
        tasks.publish(conn, member, community=place["village"], title="x")
    with pytest.raises(Forbidden):  # nor is an admin a party member
        tasks.claim(conn, staff, task["id"])
    with pytest.raises(InvalidInput, match="micro_grid"):
        members.register(conn, member, micro_grid="1506210010010101", skills=[], availability="")
    elsewhere = _principal(Role.TOWNSHIP, Scope(area_prefix="150621001"))
    with pytest.raises(NotFound):
        tasks.confirm(conn, elsewhere, task["id"], "completed")
    with pytest.raises(NotFound):
        tasks.publish(conn, elsewhere, community=place["village"], title="x")


def test_claim_trail_is_append_only(conn, place, staff):
    member = _new_member(conn, place)
    members.register(conn, member, micro_grid=None, skills=[], availability="")
    _task_done(conn, staff, member, place, "completed")
    with pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE party_confirmation SET outcome = 'no_show'"))


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("party_registration", "availability"),
        ("party_claim", "member_id"),
        ("party_confirmation", "outcome"),
    ],
)
def test_the_service_may_only_append_to_the_party_tables(database, table, column):
    """party_task keeps UPDATE (a claim locks its task FOR UPDATE), not DELETE."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ProgrammingError

    service = create_engine(database.service_url)
    try:
        for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
            with service.connect() as conn, pytest.raises(ProgrammingError, match="permission"):
                conn.execute(text(statement))
    finally:
        service.dispose()
