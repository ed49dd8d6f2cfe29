"""The command centre's figures: new today, open, due within 24 hours, overdue.

One statement (``sql/incident_summary.sql``) counts them over the incidents the caller may see
(the same scope rule as every incident read: the queue area's code inside the scope's area,
and for department staff the incident routed to their department), optionally narrowed to an
area. Due and overdue count the cases whose clock runs (open and not hung) against the
deadline they run against, the current step's, exactly as the list's ``due=`` filter does, so
the strip and the command page's 时限督办 filter say the same number. "Today" starts at
midnight China time (UTC+8, no daylight saving), whatever the server's clock zone; the
figures and ``as_of`` are taken at the same instant.

Examples
--------
>>> from datetime import datetime, UTC
>>> day_start(datetime(2026, 12, 4, 16, 30, tzinfo=UTC)).isoformat()
'2026-12-05T00:00:00+08:00'
>>> day_start(datetime(2026, 12, 4, 15, 59, tzinfo=UTC)).isoformat()
'2026-12-04T00:00:00+08:00'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from cases.models import CLOSED_STATUSES
from cases.sql import query
from geo.areas import CHINA_TIME
from geo.errors import InvalidInput
from geo.scope import Scope


@dataclass(frozen=True)
class Figures:
    new_today: int
    open: int
    due_24h: int
    overdue: int
    as_of: datetime


def day_start(now: datetime) -> datetime:
    """Midnight China time of the day ``now`` falls on (in China time)."""
    return now.astimezone(CHINA_TIME).replace(hour=0, minute=0, second=0, microsecond=0)


def summary(
    conn: Connection, *, scope: Scope, area: str | None = None, now: datetime | None = None
) -> Figures:
    """The four figures inside ``scope`` (and ``area``, a code at any level) at ``now``."""
    if area is not None and not area.isdigit():
        raise InvalidInput("area", f"{area!r} is not an area code", where="query")
    at = now or datetime.now(UTC)
    row = conn.execute(
        query("incident_summary"),
        {
            "area": area,
            "now": at,
            "day_start": day_start(at),
            "closed": sorted(s.value for s in CLOSED_STATUSES),
            **scope.params(),
        },
    ).one()
    return Figures(row.new_today, row.open, row.due_24h, row.overdue, at.astimezone(CHINA_TIME))
