"""Intake in two statements (issue #19, P4): what the first statement decides is what the
rules decide one at a time, the answer is the incident as stored, and a failure between or
in the statements leaves nothing. The HTTP behaviour is tests/test_intake*.py's."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
import shapely
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DataError

from access.audit import Actor
from cases import intake, views
from cases.dispatch import desk_for
from cases.errors import IdempotencyInProgress
from cases.intake import Outcome, Report, submit
from geo.areas import current_generation
from geo.assign import place
from tests.helpers import counts

ADMIN = Actor("admin", "admin")
LIMIT_M = 200.0


@pytest.fixture(scope="module")
def micro(sample_areas):
    return sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)


def _points(micro) -> dict[str, tuple[float, float]]:
    """One point of each kind of placement: covered, on a shared edge, nearest, queued."""
    interior = shapely.point_on_surface(micro.geometry.iloc[1234])
    coords = shapely.get_coordinates(micro.geometry.values)
    values, seen = np.unique(coords, axis=0, return_counts=True)
    tree = shapely.STRtree(micro.geometry.values)
    shared = next(
        xy
        for xy in values[seen >= 2]
        if len(tree.query(shapely.Point(xy), predicate="intersects")) >= 2
    )
    north_lon, north_lat = coords[np.argmax(coords[:, 1])]
    return {
        "covered": (interior.x, interior.y),
        "boundary_tie": (float(shared[0]), float(shared[1])),
        "nearest": (float(north_lon), float(north_lat + 100 / 110_950.0)),
        "unassigned": (float(north_lon), float(north_lat + 5000 / 110_950.0)),
    }


def _report(lon: float, lat: float, **extra: Any) -> Report:
    return Report(lon=lon, lat=lat, datum="cgcs2000", category="0103", **extra)


def _submit(conn: Connection, report: Report, key: str | None = None) -> Outcome:
    return submit(
        conn.engine,
        report,
        idempotency_key=key or str(uuid.uuid4()),
        nearest_limit_m=LIMIT_M,
        actor=ADMIN,
        owner=1,
        within=conn,
    )


def test_placement_and_desk_are_those_of_place_and_desk_for(conn, micro):
    generation = current_generation(conn)
    for kind, (lon, lat) in _points(micro).items():
        answer = _submit(conn, _report(lon, lat)).body
        placement = place(conn, lon, lat, generation, LIMIT_M)
        desk = desk_for(conn, placement, "0103")
        assert answer["assignment"]["kind"] == placement.assignment.value == kind
        assert answer["assignment"]["tied_codes"] == placement.tied_codes
        assert answer["assignment"]["distance_m"] == placement.distance_m
        assert answer["assignment"]["chain"] == [
            {"level": level, "code": code, "name": name}
            for level, (_, code, name) in placement.areas.items()
        ]
        member = answer["responsible"]["member"]
        assert (member and member["id"]) == desk.member_id
        assert answer["responsible"]["department"]["code"] == desk.department_code


def test_the_answer_is_the_incident_as_stored(conn, micro):
    lon, lat = _points(micro)["covered"]
    china = timezone(timedelta(hours=8))
    occurred = datetime.now(china).replace(microsecond=123456) - timedelta(hours=3)
    reports = [
        _report(lon, lat),
        _report(
            lon,
            lat,
            description="噪音扰民，电话 13912345678",
            occurred_at=occurred,
            reporter_name="王小明",
            reporter_phone="13800001111",
            reporter_id_number="11010519491231002x",
            media=[{"url": "/a.jpg", "type": "image/jpeg", "size": 1.5, "tags": ["夜间"]}],
            urgent=True,
        ),
    ]
    for report in reports:
        answer = _submit(conn, report).body
        incident_id = conn.execute(
            text("SELECT id FROM incident WHERE code = :code"), {"code": answer["code"]}
        ).scalar_one()
        stored = views.incident_view(conn, incident_id)
        assert {k: v for k, v in answer.items() if k != "possible_duplicates"} == stored
        audited = conn.execute(
            text("SELECT after FROM audit_log WHERE action = 'incident.create' AND object_id = :c"),
            {"c": answer["code"]},
        ).scalar_one()
        assert audited == stored


def test_a_report_is_two_statements_and_a_replay_two(conn, micro):
    lon, lat = _points(micro)["covered"]
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2].lstrip().split("\n")[0].split(" (")[0].split(":")[0])

    event.listen(conn, "before_cursor_execute", seen)
    try:
        first = _submit(conn, _report(lon, lat), key="two-statements")
        again = _submit(conn, _report(lon, lat), key="two-statements")
    finally:
        event.remove(conn, "before_cursor_execute", seen)
    assert statements == [
        "-- The first of a report's two statements",
        "-- The second of a report's two statements",
        "-- The first of a report's two statements",
        "-- A key that intake_start.sql could not claim",
    ]
    assert (first.replayed, again.replayed, again.body) == (False, True, first.body)


def test_a_failure_in_the_second_statement_leaves_nothing(engine: Engine, micro):
    lon, lat = _points(micro)["covered"]
    before = counts(engine)
    with pytest.raises(DataError):  # reporter_phone holds 20: the INSERT fails after the claim
        submit(
            engine,
            _report(lon, lat, reporter_phone="1" * 21),
            idempotency_key=f"fails-{uuid.uuid4()}",
            nearest_limit_m=LIMIT_M,
            actor=ADMIN,
            owner=1,
        )
    assert counts(engine) == before  # no incident, trail entry, key or code


def test_a_refusal_between_the_statements_leaves_nothing(engine: Engine, micro):
    lon, lat = _points(micro)["covered"]

    def refuse() -> None:
        raise RuntimeError("over the rate")

    before = counts(engine)
    with pytest.raises(RuntimeError):
        submit(
            engine,
            _report(lon, lat),
            idempotency_key=f"refused-{uuid.uuid4()}",
            nearest_limit_m=LIMIT_M,
            actor=ADMIN,
            owner=1,
            admit=refuse,
        )
    assert counts(engine) == before  # the key and the reserved code are given back


def test_two_threads_with_one_key_file_one_incident(engine: Engine, micro):
    lon, lat = _points(micro)["covered"]
    key = f"threads-{uuid.uuid4()}"
    start = threading.Barrier(2)
    outcomes: list[Outcome] = []

    def report() -> None:
        start.wait()
        outcomes.append(
            submit(
                engine,
                _report(lon, lat),
                idempotency_key=key,
                nearest_limit_m=LIMIT_M,
                actor=ADMIN,
                owner=1,
            )
        )

    before = counts(engine)
    threads = [threading.Thread(target=report) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = counts(engine)
    assert sorted(o.replayed for o in outcomes) == [False, True]
    assert outcomes[0].body == outcomes[1].body
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (1, 1, 1, 1)


def _holding(engine: Engine, statement: str) -> Connection:
    """A connection whose open transaction has run ``statement`` (and holds its locks)."""
    holder = engine.connect()
    holder.begin()
    holder.execute(text(statement))
    return holder


def test_a_report_behind_a_held_code_counter_is_busy_not_in_progress(
    engine: Engine, client, micro, monkeypatch
):
    """In a busy moment another report holds the year's counter longer than the wait: this
    one is answered 503 "busy" with Retry-After and nothing written, so that the client
    retries with its key. (It was answered 409 "still being processed" for a key nobody else
    had.)"""
    monkeypatch.setattr(intake, "KEY_WAIT", "200ms")
    lon, lat = _points(micro)["covered"]
    holder = _holding(
        engine,
        "INSERT INTO incident_counter (year, last) "
        "VALUES (extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int, 0) "
        "ON CONFLICT (year) DO UPDATE SET last = incident_counter.last",
    )
    key = f"busy-{uuid.uuid4()}"
    report = {"lon": lon, "lat": lat, "datum": "cgcs2000", "category": "0103"}
    try:
        before = counts(engine)
        busy = client.post("/api/v1/incidents", json=report, headers={"Idempotency-Key": key})
        assert counts(engine) == before
    finally:
        holder.rollback()
        holder.close()
    assert busy.status_code == 503, busy.text
    assert busy.headers["Retry-After"] == "1"
    assert busy.json()["code"] == "unavailable"
    assert "Idempotency-Key" in busy.json()["detail"]
    again = client.post("/api/v1/incidents", json=report, headers={"Idempotency-Key": key})
    assert again.status_code == 201, again.text  # the same key, once the moment has passed


def test_a_key_another_request_holds_is_in_progress_after_the_wait(
    engine: Engine, micro, monkeypatch
):
    monkeypatch.setattr(intake, "KEY_WAIT", "200ms")
    lon, lat = _points(micro)["covered"]
    key = f"held-{uuid.uuid4()}"
    holder = _holding(
        engine, f"INSERT INTO idempotency_key (key, request_hash) VALUES ('1:{key}', 'x')"
    )
    try:
        before = counts(engine)
        with pytest.raises(IdempotencyInProgress, match="still being processed"):
            submit(engine, _report(lon, lat), idempotency_key=key, nearest_limit_m=LIMIT_M,
                   actor=ADMIN, owner=1)  # fmt: skip
        assert counts(engine) == before
    finally:
        holder.rollback()
        holder.close()
