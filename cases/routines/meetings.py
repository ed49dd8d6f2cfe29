"""Grid meetings (半月碰一碰) and village councils (月底议一议, 民情议事会).

A grid meeting is held in a grid, a council in a village (another level is refused, field
``area_code``; an area outside the caller's scope is :class:`~geo.errors.NotFound`). A
council recorded without an agenda gets the month's: :func:`agenda`, the matters reported in
the village that China calendar month and where each stands now. Attendees are names:
stored as given, always served masked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from cases.codes import TIMEZONE
from cases.models import IncidentStatus
from cases.routines.sql import query
from cases.routines.visits import CLOCK_SKEW, MAX_LIMIT, Member
from geo.errors import InvalidInput, NotFound
from geo.privacy import mask_name, mask_text
from geo.scope import Scope

#: Which level each kind of meeting is held at, and its Chinese name.
KINDS = {"grid_meeting": ("grid", "网格碰头会"), "village_council": ("village", "民情议事会")}
CHINA = ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class MeetingIn:
    kind: str
    area_code: str
    at: datetime
    attendees: list[str] = field(default_factory=list)
    issues: str | None = None
    decisions: str | None = None
    incident_codes: list[str] = field(default_factory=list)
    agenda: list[dict[str, Any]] | None = None


def record(
    conn: Connection, who: Member, meeting: MeetingIn, generation: int, now: datetime | None = None
) -> dict[str, Any]:
    """Write ``meeting``; the meeting as :func:`meetings` answers it."""
    now = now or datetime.now(UTC)
    if meeting.kind not in KINDS:
        raise InvalidInput("kind", f"expected one of {', '.join(KINDS)}, got {meeting.kind!r}")
    if meeting.at.tzinfo is None:
        raise InvalidInput("at", "must carry a time zone offset, e.g. 2026-12-04T09:30:00+08:00")
    if meeting.at > now + CLOCK_SKEW:
        raise InvalidInput("at", f"{meeting.at.isoformat()} is in the future")
    area = conn.execute(
        query("meeting_area"), {"code": meeting.area_code, "g": generation, **who.scope.params()}
    ).one_or_none()
    if area is None:
        raise NotFound(f"area {meeting.area_code} does not exist")
    level = KINDS[meeting.kind][0]
    if area.level != level:
        raise InvalidInput(
            "area_code", f"a {meeting.kind} is held in a {level}, {area.code} is a {area.level}"
        )
    known = set(
        conn.execute(
            query("incidents_known"), {"codes": meeting.incident_codes, **who.scope.params()}
        ).scalars()
    )
    for index, code in enumerate(meeting.incident_codes):
        if code not in known:
            raise InvalidInput(f"incident_codes.{index}", f"no incident {code} in your scope")
    items = meeting.agenda
    if items is None and meeting.kind == "village_council":
        month = meeting.at.astimezone(CHINA).strftime("%Y-%m")
        items = agenda(conn, who.scope, area.code, month)["items"]
    meeting_id = conn.execute(
        query("meeting_insert"),
        {
            "kind": meeting.kind,
            "area_id": area.id,
            "at": meeting.at,
            "attendees": json.dumps(meeting.attendees, ensure_ascii=False),
            "issues": meeting.issues,
            "decisions": meeting.decisions,
            "incident_codes": json.dumps(meeting.incident_codes),
            "agenda": json.dumps(items or [], ensure_ascii=False),
            "account": who.username,
        },
    ).scalar_one()
    return meetings(conn, who.scope, meeting_id=meeting_id)[0]


def meetings(
    conn: Connection,
    scope: Scope,
    *,
    kind: str | None = None,
    area: str | None = None,
    meeting_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Meetings inside ``scope``, newest first (attendees masked)."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    rows = conn.execute(
        query("meetings"),
        {"id": meeting_id, "kind": kind, "area": area, "limit": limit, **scope.params()},
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "kind_label": KINDS[r.kind][1],
            "at": r.at.isoformat(),
            "area": {"code": r.area_code, "name": r.area_name},
            "attendees": [mask_name(a) for a in r.attendees],
            "issues": mask_text(r.issues),
            "decisions": mask_text(r.decisions),
            "incident_codes": r.incident_codes,
            "agenda": r.agenda,
        }
        for r in rows
    ]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The China-time calendar month ``YYYY-MM`` as [start, end) instants.

    >>> [t.isoformat() for t in month_bounds("2026-12")]
    ['2026-12-01T00:00:00+08:00', '2027-01-01T00:00:00+08:00']
    """
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput("month", f"expected YYYY-MM, got {month!r}") from None
    if len(month) != 7:
        raise InvalidInput("month", f"expected YYYY-MM, got {month!r}")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (
        datetime.combine(first, datetime.min.time(), CHINA),
        datetime.combine(following, datetime.min.time(), CHINA),
    )


def agenda(conn: Connection, scope: Scope, village: str, month: str) -> dict[str, Any]:
    """The council's agenda: the matters reported in ``village`` in ``month`` (China time),
    each with where it stands, and how many are settled (closed or evaluated) or still open."""
    if not (village.isdigit() and len(village) == 12):
        raise InvalidInput("village", f"expected a 12-digit village code, got {village!r}")
    start, end = month_bounds(month)
    rows = conn.execute(
        query("agenda"), {"village": village, "from": start, "to": end, **scope.params()}
    ).all()
    items = [
        {
            "code": r.code,
            "category": r.category_name,
            "reported_at": r.reported_at.isoformat(),
            "area": {"code": r.area_code, "name": r.area_name},
            "status": r.status,
            "outcome": IncidentStatus(r.status).label,
        }
        for r in rows
    ]
    settled = sum(not IncidentStatus(r.status).is_open for r in rows)
    return {
        "village": village,
        "month": month,
        "items": items,
        "counts": {"reported": len(items), "settled": settled, "open": len(items) - settled},
    }
