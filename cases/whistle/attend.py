"""A summoned department's side (acknowledge, check in, leave) and the whistler's release.

Each function locks the whistle first (a whistle outside the caller's scope, or one that does
not summon the caller's department, "does not exist": 404), then checks, then writes, in the
caller's transaction, with its audit entry and live ``whistle`` event. Only department staff
acknowledge, check in and leave, for their own department (403 for other roles).

A check-in is judged in SQL (``sql/whistle_checkin.sql``): on site within the phone's accuracy
(default :data:`DEFAULT_BUFFER_M`) of the meeting point or the case's area, on time or late. A
phone that retries (same whistle, same department, same ``Idempotency-Key`` or client id) gets
the first check-in back and nothing is written: the unique key makes two concurrent retries
one row, the second waiting for the first to commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from cases import live
from cases.errors import ActionNotAllowed
from cases.loop.actions import Caller
from cases.whistle import read
from cases.whistle.rules import CLOSED, OVERSEERS, accuracy, retry_key
from cases.whistle.sql import query
from geo.errors import Forbidden, NotFound
from geo.points import parse_point

#: The buffer of a check-in sent without an accuracy, metres (WORKFLOW.md §3.3).
DEFAULT_BUFFER_M = 200.0
#: The worst accuracy accepted, metres (setting ``WANGGE_WHISTLE_MAX_ACCURACY_M``).
MAX_ACCURACY_M = 500.0


def _lock(conn: Connection, caller: Caller, whistle_id: int) -> Any:
    row = conn.execute(
        query("whistle_lock"),
        {"id": whistle_id, "whistler": caller.actor.username, **caller.scope.params()},
    ).one_or_none()
    if row is None:
        raise NotFound(f"whistle {whistle_id} does not exist")
    return row


def _open(row: Any, what: str) -> None:
    """409 unless the attendance is still open: not released, the case not closed."""
    if row.released_at is not None or row.incident_status in CLOSED:
        status = "released" if row.released_at is not None else "closed"
        raise ActionNotAllowed(
            f"whistle {row.id} is {status}: no more {what}", status=status, allowed=[]
        )


def _summoned(conn: Connection, caller: Caller, row: Any, what: str) -> Any:
    """The caller's department's row on the whistle, locked; 403 for another role."""
    if caller.role is not Role.DEPARTMENT or caller.scope.department is None:
        raise Forbidden(f"only a summoned department's staff may {what}")
    found = conn.execute(
        query("whistle_attendance"), {"whistle_id": row.id, "department": caller.scope.department}
    ).one_or_none()
    if found is None:  # one the caller blew between departments, without its own
        raise Forbidden(f"department {caller.scope.department} is not summoned by whistle {row.id}")
    return found


def _event(
    conn: Connection, event: str, whistle_id: int, at: datetime, **extra: Any
) -> dict[str, Any]:
    view = read.whistle(conn, whistle_id, now=at)
    live.notify(conn, [live.whistle(event, view, **extra)])
    return view


def acknowledge(
    conn: Connection, caller: Caller, whistle_id: int, at: datetime | None = None
) -> dict[str, Any]:
    """The caller's department acknowledges the summons (once; a repeat changes nothing)."""
    row = _lock(conn, caller, whistle_id)
    mine = _summoned(conn, caller, row, "acknowledge")
    _open(row, "acknowledgements")
    when = at or row.now
    params = {
        "whistle_id": row.id,
        "department_id": mine.department_id,
        "by": caller.actor.username,
    }
    conn.execute(query("whistle_acknowledge"), params | {"at": when})
    audit.record(conn, caller.actor, "whistle.acknowledge", "whistle", row.id, after=mine.code)
    return _event(conn, "acknowledged", row.id, when, department=mine.code)


def check_in(
    conn: Connection,
    caller: Caller,
    whistle_id: int,
    body: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    max_accuracy_m: float = MAX_ACCURACY_M,
    default_buffer_m: float = DEFAULT_BUFFER_M,
    at: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Check the caller's department in at ``body``'s position; the whistle, the check-in
    (``judgement``: on_time, late or outside; ``distance_m``) and whether it is new (False: a
    retry answered with the first)."""
    row = _lock(conn, caller, whistle_id)
    mine = _summoned(conn, caller, row, "check in")
    _open(row, "check-ins")
    point = parse_point(body.get("lon"), body.get("lat"), body.get("datum"))
    metres = accuracy(body.get("accuracy"), max_accuracy_m)
    key = retry_key(idempotency_key, body.get("client_id"))
    when = at or row.now
    ids = {"whistle_id": row.id, "department_id": mine.department_id}
    new_id = conn.execute(
        query("whistle_checkin"),
        ids
        | {
            "retry_key": key,
            "at": when,
            "lon": point.lon,
            "lat": point.lat,
            "datum": point.datum.value,
            "accuracy": metres,
            "buffer": metres if metres is not None else default_buffer_m,
            "arrive_due": mine.arrive_due,
            "by": caller.actor.username,
        },
    ).scalar_one_or_none()
    found = conn.execute(
        query("whistle_checkin_find"), ids | {"id": new_id, "retry_key": key}
    ).one()
    checkin = {
        "id": found.id,
        "department": found.department,
        "at": found.at.isoformat(),
        "judgement": found.judgement,
        "distance_m": round(found.distance_m, 1),
        "accuracy_m": found.accuracy_m,
    }
    if new_id is None:
        return read.whistle(conn, row.id, now=when), checkin, False
    by = {"by": caller.actor.username}
    conn.execute(query("whistle_acknowledge"), ids | by | {"at": when})
    audit.record(conn, caller.actor, "whistle.check_in", "whistle", row.id, after=checkin)
    view = _event(conn, "checked_in", row.id, when, department=mine.code, judgement=found.judgement)
    return view, checkin, True


def depart(
    conn: Connection, caller: Caller, whistle_id: int, at: datetime | None = None
) -> dict[str, Any]:
    """The caller's department leaves before the release: recorded as leaving early."""
    row = _lock(conn, caller, whistle_id)
    mine = _summoned(conn, caller, row, "leave")
    _open(row, "departures")
    if mine.left_at is not None:
        raise ActionNotAllowed(
            f"department {mine.code} already left whistle {row.id}", status="left", allowed=[]
        )
    when = at or row.now
    conn.execute(
        query("whistle_depart"),
        {"whistle_id": row.id, "department_id": mine.department_id, "early": True, "at": when},
    )
    audit.record(conn, caller.actor, "whistle.leave", "whistle", row.id, after=mine.code)
    return _event(conn, "left", row.id, when, department=mine.code)


def may_oversee(caller: Caller, row: Any, what: str) -> None:
    """403 unless the caller blew the whistle or is the banner command."""
    if caller.actor.username != row.blown_by and caller.role not in OVERSEERS:
        raise Forbidden(f"only the whistler or the command may {what} whistle {row.id}")


def release(
    conn: Connection, caller: Caller, whistle_id: int, at: datetime | None = None
) -> dict[str, Any]:
    """The whistler releases the departments (事不完、人不撤 ends); 409 when already released."""
    row = _lock(conn, caller, whistle_id)
    may_oversee(caller, row, "release")
    if row.released_at is not None:
        raise ActionNotAllowed(
            f"whistle {row.id} was already released", status="released", allowed=[]
        )
    when = at or row.now
    conn.execute(query("whistle_release"), {"id": row.id, "by": caller.actor.username, "at": when})
    audit.record(conn, caller.actor, "whistle.release", "whistle", row.id, after=when.isoformat())
    return _event(conn, "released", row.id, when)
