"""A new case waits to be accepted: intake sets ``step_due_at`` to the report time plus the
accept limit (normal: 0.5 working day; urgent: 10 minutes) on the working calendar, in the
report's own transaction; through the native API, Open311, and the import (for incidents
imported as ``reported``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import shapely
from sqlalchemy import text

from cases.imports.importer import import_incidents_in
from cases.loop.calendar import at, load

#: 0.5 WD of the default working day (08:30–12:00, 14:30–18:00), in seconds.
HALF_DAY = 7 * 3600 // 2


@pytest.fixture(scope="module")
def spot(sample_areas) -> tuple[float, float]:
    micro = sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)
    p = shapely.point_on_surface(micro.iloc[2024].geometry)
    return round(p.x, 7), round(p.y, 7)


@pytest.fixture(scope="module")
def filed(engine) -> Iterator[list[str]]:
    """Codes filed here; their clocks are stopped at the end (see test_loop_actions.made)."""
    codes: list[str] = []
    yield codes
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE incident SET status = 'void', step_due_at = NULL WHERE code = ANY(:c)"),
            {"c": codes},
        )


def clock_of(engine, code: str) -> tuple[datetime, datetime, bool, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT reported_at, step_due_at, urgent, status FROM incident WHERE code = :c"),
            {"c": code},
        ).one()
    return row.reported_at, row.step_due_at, row.urgent, row.status


def assert_half_a_working_day(engine, reported: datetime, due: datetime) -> None:
    """``due`` is the first moment with 0.5 WD of working time since ``reported``."""
    with engine.connect() as conn:
        cal = load(conn)
    assert cal.between(reported, due) == HALF_DAY
    assert cal.between(reported, due - timedelta(seconds=1)) == HALF_DAY - 1


def test_the_native_api_sets_the_accept_deadline(client, auth, engine, spot, filed):
    body = {"lon": spot[0], "lat": spot[1], "datum": "cgcs2000", "category": "0101"}
    for urgent in (False, True):
        response = client.post(
            "/api/v1/incidents",
            json=body | {"urgent": urgent, "description": f"测试受理时限 {urgent}"},
            headers={**auth("grid_worker"), "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        code = response.json()["code"]
        filed.append(code)
        reported, due, stored_urgent, status = clock_of(engine, code)
        assert (stored_urgent, status) == (urgent, "reported")
        if urgent:
            assert due - reported == timedelta(minutes=10)
        else:
            assert_half_a_working_day(engine, reported, due)
        shown = client.get(f"/api/v1/incidents/{code}").json()
        assert datetime.fromisoformat(shown["step_due_at"]) == due
        assert shown["deadlines"]["step"] == "accept"
    bad = client.post(
        "/api/v1/incidents",
        json=body | {"urgent": "very"},
        headers={**auth("grid_worker"), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "urgent"


def test_open311_sets_the_accept_deadline(client, engine, spot, filed):
    fields = {"service_code": "0401", "lat": str(spot[1]), "long": str(spot[0])}
    response = client.post("/open311/v2/requests.json", data=fields)
    assert response.status_code == 201, response.text
    code = response.json()[0]["service_request_id"]
    filed.append(code)
    reported, due, urgent, status = clock_of(engine, code)
    assert (urgent, status) == (False, "reported")
    assert_half_a_working_day(engine, reported, due)


def test_the_import_sets_it_for_reported_incidents_only(conn, tmp_path, spot):
    lon, lat = spot
    path = tmp_path / "clock.csv"
    path.write_text(
        "lon,lat,datum,category,description,occurred_at,reported_at,status,status_at,"
        "reporter_name,reporter_phone\n"
        # the afternoon before the 2026 National Day holiday (1–7 October): 3 h that day,
        # the last half hour on Thursday 8 October
        f"{lon},{lat},cgcs2000,0101,,,2026-09-30T15:00:00+08:00,reported,,,\n"
        f"{lon},{lat},cgcs2000,0101,,,2026-09-30T15:00:00+08:00,in_progress,"
        "2026-09-30T16:00:00+08:00,,\n"
        # Friday 11:00: 1 h before lunch, 2.5 h after it
        f"{lon},{lat},cgcs2000,0401,,,2026-12-04T11:00:00+08:00,reported,,,\n",
        encoding="utf-8",
    )
    report = import_incidents_in(conn, path, source="t-accept-clock")
    assert report.accepted == 3
    rows = conn.execute(
        text(
            "SELECT status, step_due_at FROM incident WHERE source = 't-accept-clock' ORDER BY code"
        )
    ).all()
    assert [(r.status, r.step_due_at) for r in rows] == [
        ("reported", at(2026, 10, 8, 9, 0)),
        ("in_progress", None),
        ("reported", at(2026, 12, 4, 17, 0)),
    ]
