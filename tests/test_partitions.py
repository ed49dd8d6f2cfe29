"""Incidents and their trail partitioned by year of China time (issue #20, migration 0016).

A report lands in its year's partitions, a query that bounds the time (or names the case's
``reported_at``) reads only the years it names, the coming years' partitions are made by a
function the service may call without owning a table, every reference to a case carries the
case's partition key and is checked like a foreign key, and the service role reaches the
partitions only through their table.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError

from access.accounts import Role
from access.audit import Actor
from cases.incidents import answer_statement
from cases.intake import add_year_partitions
from cases.loop.actions import apply_now
from geo.db import libpq_url
from geo.scope import Scope
from tests.helpers import point_inside

CHINA = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/incidents"


def this_year() -> int:
    return datetime.now(CHINA).year


def scanned(conn: Any, statement: str, params: dict[str, Any]) -> set[str]:
    """The tables (partitions) the plan of ``statement`` reads or writes."""
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {statement}"), params).scalar_one()
    names: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            names.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    return names


@pytest.fixture(scope="module")
def service_engine(database) -> Iterator[Engine]:
    """The service's own role, as `make run` connects."""
    engine = create_engine(database.service_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def filed(client, auth, engine, accounts) -> Iterator[dict[str, Any]]:
    """A report filed and accepted through the API: its code, id and reported_at."""
    with engine.connect() as conn:
        lon, lat = point_inside(conn, accounts["party_member"].area_code)
    answer = client.post(
        URL,
        json={"lon": lon, "lat": lat, "datum": "cgcs2000", "category": "0101"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    accepted = client.post(
        f"{URL}/{code}/actions",
        json={"action": "accept"},
        headers={**auth("command"), "If-Match": '"1"'},
    )
    assert accepted.status_code == 200, accepted.text
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, reported_at FROM incident WHERE code = :c"), {"c": code}
        ).one()
    yield {"code": code, "id": row.id, "reported_at": row.reported_at}
    with engine.begin() as conn:  # stop its clocks for later modules' sweeps
        conn.execute(
            text("UPDATE incident SET status = 'void', step_due_at = NULL WHERE code = :c"),
            {"c": code},
        )


def test_a_report_and_its_trail_land_in_their_years_partitions(engine, filed):
    year = filed["reported_at"].astimezone(CHINA).year
    assert year == this_year() and filed["code"].startswith(f"DLT-{year}-")
    with engine.connect() as conn:
        case = conn.execute(
            text("SELECT tableoid::regclass::text FROM incident WHERE code = :c"),
            {"c": filed["code"]},
        ).scalar_one()
        trail = conn.execute(
            text(
                "SELECT tableoid::regclass::text AS part, incident_reported_at, action "
                "FROM incident_event WHERE incident_id = :id ORDER BY id"
            ),
            {"id": filed["id"]},
        ).all()
        key = conn.execute(
            text("SELECT incident_reported_at FROM idempotency_key WHERE incident_id = :id"),
            {"id": filed["id"]},
        ).scalar_one()
    assert case == f"incident_{year}"
    assert [(r.part, r.action) for r in trail] == [
        (f"incident_event_{year}", None),  # the report
        (f"incident_event_{year}", "accept"),
    ]
    assert {r.incident_reported_at for r in trail} == {filed["reported_at"]} == {key}


def test_partition_bounds_are_midnight_china_time(conn):
    """The first hour of 2025 in Beijing is 2024-12-31 16:00 to 17:00 UTC, and 2025's."""
    query = "SELECT count(*) FROM incident WHERE reported_at >= :a AND reported_at < :b"
    for a, b, part in (
        ("2024-12-31 23:00+08", "2025-01-01 00:00+08", "incident_2024"),
        ("2025-01-01 00:00+08", "2025-01-01 01:00+08", "incident_2025"),
        ("2019-12-31 23:00+08", "2020-01-01 00:00+08", "incident_default"),  # before 2020
    ):
        assert scanned(conn, query, {"a": a, "b": b}) == {part}, (a, b)


def test_queries_that_name_the_time_read_only_that_year(conn, filed):
    year = filed["reported_at"].astimezone(CHINA).year
    # the action's answer names the case's reported_at: one partition of the case
    statement, params = answer_statement(filed["id"], filed["reported_at"])
    parts = scanned(conn, statement.text, params)
    assert {p for p in parts if p.startswith("incident_") and p[9:].isdigit()} == {
        f"incident_{year}"
    }
    assert "incident_default" not in parts
    # a window of this year's days reads this year's partitions only
    window = scanned(
        conn,
        "SELECT count(*) FROM incident i JOIN incident_event e ON e.incident_id = i.id "
        "WHERE i.reported_at >= :a AND i.reported_at < :b AND e.at >= :a AND e.at < :b",
        {
            "a": datetime(year, 2, 1, tzinfo=CHINA),
            "b": datetime(year, 3, 1, tzinfo=CHINA),
        },
    )
    assert window == {f"incident_{year}", f"incident_event_{year}"}


def test_the_service_makes_the_coming_years_partitions(engine, service_engine):
    ahead = 4
    wanted = [
        f"{parent}_{y}"
        for parent in ("incident", "incident_event")
        for y in range(this_year(), this_year() + ahead + 1)
    ]
    with engine.connect() as conn:
        missing = [
            name
            for name in wanted
            if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is None
        ]
        # a year whose rows already sit in the default partition (trail entries a test
        # wrote for 2030, say) cannot have a partition: it is left out, with a warning
        blocked = [
            name
            for name in missing
            if conn.execute(
                text(
                    f"SELECT EXISTS (SELECT 1 FROM {name.rsplit('_', 1)[0]}_default "
                    f"WHERE {'reported_at' if name.startswith('incident_2') else 'at'} "
                    "BETWEEN make_timestamptz(:y, 1, 1, 0, 0, 0, 'Asia/Shanghai') "
                    "AND make_timestamptz(:y + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai') "
                    "- interval '1 microsecond')"
                ),
                {"y": int(name.rsplit("_", 1)[1])},
            ).scalar_one()
        ]
    assert len(missing) > len(blocked), "the test needs a year that has no partition yet"
    assert add_year_partitions(service_engine, ahead=ahead) == len(missing) - len(blocked)
    assert add_year_partitions(service_engine, ahead=ahead) == 0  # made once
    with engine.connect() as conn:
        bounds = dict(
            conn.execute(
                text(
                    "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c "
                    "WHERE c.relname = ANY(:names)"
                ),
                {"names": wanted},
            ).all()
        )
        last = this_year() + ahead
        lower, upper = conn.execute(
            text(
                "SELECT make_timestamptz(:y, 1, 1, 0, 0, 0, 'Asia/Shanghai'), "
                "make_timestamptz(:y + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai')"
            ),
            {"y": last},
        ).one()
        expected = conn.execute(
            text("SELECT format('FOR VALUES FROM (%L) TO (%L)', CAST(:a AS timestamptz), "
                 "CAST(:b AS timestamptz))"),
            {"a": lower, "b": upper},
        ).scalar_one()  # fmt: skip
    assert sorted(bounds) == sorted(set(wanted) - set(blocked))
    for name in (f"incident_{last}", f"incident_event_{last}"):
        assert name in blocked or bounds[name] == expected
    with pytest.raises(DBAPIError) as refused, service_engine.begin() as conn:
        conn.execute(text("SELECT wangge_year_partitions(11)"))
    assert "ahead must be 0 to 10 years" in str(refused.value.orig)


def test_a_reference_to_a_case_carries_its_partition_key(conn, filed):
    values = {"id": filed["id"]}
    insert = (
        "INSERT INTO whistle (incident_id, kind, reason, area_code, blown_by, blown_role) "
        "VALUES (:id, 'emergency', '测试', '150621', 'command', 'command') "
        "RETURNING incident_reported_at"
    )
    assert conn.execute(text(insert), values).scalar_one() == filed["reported_at"]
    savepoint = conn.begin_nested()
    with pytest.raises(IntegrityError) as missing:
        conn.execute(text(insert), {"id": 10**15})
    savepoint.rollback()
    assert missing.value.orig.sqlstate == "23503"  # foreign_key_violation
    assert f"incident {10**15} does not exist" in str(missing.value.orig)
    savepoint = conn.begin_nested()
    with pytest.raises(IntegrityError) as wrong:  # the id with another case's reported_at
        conn.execute(
            text(
                "INSERT INTO incident_event (incident_id, incident_reported_at, kind) "
                "VALUES (:id, :at, 'note')"
            ),
            {"id": filed["id"], "at": datetime(2001, 1, 1, tzinfo=CHINA)},
        )
    savepoint.rollback()
    assert wrong.value.orig.sqlstate == "23503"
    assert "fk_incident_event_incident_id_incident" in str(wrong.value.orig)


def test_a_report_dated_outside_every_year_lands_in_the_default_partition(conn, filed):
    """Nothing is refused for want of a partition (a historic import, say)."""
    part = conn.execute(
        text(
            "INSERT INTO incident SELECT (jsonb_populate_record(i, jsonb_build_object("
            "  'id', nextval('incident_id_seq'), 'code', 'DLT-1999-000001',"
            "  'reported_at', '1999-06-01 10:00+08'))).* "
            "FROM incident i WHERE i.id = :id AND i.reported_at = :r "
            "RETURNING tableoid::regclass::text"
        ),
        {"id": filed["id"], "r": filed["reported_at"]},
    ).scalar_one()
    assert part == "incident_default"


def test_the_service_role_reaches_partitions_only_through_their_table(service_engine, filed):
    year = filed["reported_at"].astimezone(CHINA).year
    with service_engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM incident WHERE id = :id"), {"id": filed["id"]}
            ).scalar_one()
            == 1
        )
        for statement in (
            f"SELECT count(*) FROM incident_{year}",
            f"UPDATE incident_event_{year} SET reason = 'x' WHERE incident_id = {filed['id']}",
            f"DELETE FROM incident_event_{year} WHERE incident_id = {filed['id']}",
        ):
            with pytest.raises(ProgrammingError) as denied:
                conn.execute(text(statement))
            conn.rollback()
            assert denied.value.orig.sqlstate == "42501", statement  # insufficient_privilege


def test_optional_time_filters_keep_the_pruning_of_prepared_statements():
    """``(:from_ IS NULL OR reported_at >= :from_)`` is pruned only in a custom plan: a
    prepared statement's generic plan then reads every year. ``reported_at >=
    coalesce(:from_, '-infinity')`` is pruned in both (at the executor's start)."""
    root = Path(__file__).resolve().parent.parent
    optional = re.compile(r"IS NULL\s+OR\s+\w+\.reported_at\s*[<>]")
    offenders = [
        str(path.relative_to(root))
        for folder in ("cases", "geo", "access", "api")
        for path in sorted((root / folder).rglob("*.sql"))
        if optional.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert "coalesce(CAST(:from_ AS timestamptz), '-infinity')" in (
        root / "cases" / "sql" / "incident_list.sql"
    ).read_text(encoding="utf-8")


def test_a_corrected_report_time_moves_the_case_and_its_references_follow(conn, filed):
    earlier = conn.execute(
        text(
            "UPDATE incident SET reported_at = reported_at - interval '400 days' "
            "WHERE id = :id RETURNING reported_at, tableoid::regclass::text"
        ),
        {"id": filed["id"]},
    ).one()
    assert earlier[1] == f"incident_{earlier[0].astimezone(CHINA).year}"
    trail = (
        conn.execute(
            text(
                "SELECT DISTINCT incident_reported_at FROM incident_event WHERE incident_id = :id"
            ),
            {"id": filed["id"]},
        )
        .scalars()
        .all()
    )
    assert trail == [earlier[0]]
    with pytest.raises(DBAPIError) as refused:  # and the entries themselves stay as written
        conn.execute(
            text("UPDATE incident_event SET reason = 'x' WHERE incident_id = :id"),
            {"id": filed["id"]},
        )
    assert "append-only" in str(refused.value.orig)


@dataclass(frozen=True)
class _Commander:
    """The command centre as :func:`cases.loop.actions.apply_now` sees a caller."""

    role: Role
    scope: Scope
    actor: Actor


def test_an_actions_answer_runs_its_generic_plan_and_only_it(
    client, auth, engine, database, accounts
):
    """On the partitioned tables PostgreSQL re-plans the answer at every run unless told to
    use its generic plan (bench/notes.md, P11). The action tells it for the answer alone: once
    psycopg has prepared the answer, every run is generic and none custom, and the setting
    ends with the action's transaction."""
    with engine.connect() as conn:
        lon, lat = point_inside(conn, accounts["party_member"].area_code)
    codes = []
    for _ in range(8):
        filed = client.post(
            URL,
            json={"lon": lon, "lat": lat, "datum": "cgcs2000", "category": "0101"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert filed.status_code == 201, filed.text
        codes.append(filed.json()["code"])

    commander = _Commander(Role.COMMAND, Scope(), Actor("command", "command"))
    answers: list[dict[str, Any]] = []

    async def act() -> tuple[list[str], Any, str]:
        async with await psycopg.AsyncConnection.connect(
            libpq_url(database.url), autocommit=True
        ) as conn:
            statuses = []
            for code in codes:  # psycopg prepares a statement at its sixth run
                answer = await apply_now(conn, commander, code, "accept", {}, 1, database.url)
                statuses.append(answer["status"])
                answers.append(answer)
            plans = await (
                await conn.execute(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                    "WHERE statement LIKE '%WITH RECURSIVE v AS MATERIALIZED%'"
                )
            ).fetchall()
            mode = await (await conn.execute("SHOW plan_cache_mode")).fetchone()
            return statuses, plans, mode[0] if mode else ""

    try:
        statuses, plans, mode = asyncio.run(act())
    finally:
        with engine.begin() as conn:  # stop their clocks for later modules' sweeps
            conn.execute(
                text(
                    "UPDATE incident SET status = 'void', step_due_at = NULL WHERE code = ANY(:c)"
                ),
                {"c": codes},
            )
    assert statuses == ["accepted"] * len(codes)
    # prepared at the sixth action: the sixth, seventh and eighth answers ran generic plans
    assert plans == [(3, 0)]
    assert mode == "auto"  # back to the default after each action's COMMIT
    # the generic plan's answer is the case as it is read afterwards: the trail's areas
    # and departments by code (scalar look-ups in the answer, joins in the read)
    shown = client.get(f"{URL}/{codes[-1]}", headers=auth("command")).json()
    assert answers[-1]["events"] == shown["events"]
    report = shown["events"][0]
    assert report["to_area"] is not None and len(report["to_area"]) > 6, shown.keys()
    assert report["to_department"] == shown["responsible"]["department"]["code"]
