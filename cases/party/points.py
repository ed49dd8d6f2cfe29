"""Points and the quarterly ranking per community, folded from the confirmed outcomes.

A year starts at :data:`BASE`; each outcome, in the order it was confirmed, adds
:data:`PER_TASK` (completed) or takes :data:`PER_NO_SHOW` (no-show), and the account never
goes below 0: the floor holds at every step, so a member at 0 who completes a task has 5.
Outcomes of other years do not count (reset on 1 January, China time).

Examples
--------
>>> balance([])
60
>>> balance(["completed", "completed", "no_show"])
60
>>> balance(["no_show"] * 7 + ["completed"])  # 60 → 0 (floor) → 5, not max(0, 60 - 70 + 5)
5
>>> [t.isoformat() for t in quarter("2026-Q4")]
['2026-10-01T00:00:00+08:00', '2027-01-01T00:00:00+08:00']
>>> competition_ranks([80, 75, 75, 60])
[1, 2, 2, 4]
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cases.party.members import Caller, area, member_of
from cases.party.sql import query
from geo.errors import InvalidInput, NotFound
from geo.periods import CHINA, china_today
from geo.privacy import mask_name

BASE = 60
PER_TASK = 5
PER_NO_SHOW = 10
QUARTER = re.compile(r"^(20[0-9]{2})-Q([1-4])$")


def balance(outcomes: Iterable[str]) -> int:
    """The points after ``outcomes`` (in the order they were confirmed) from the base."""
    points = BASE
    for outcome in outcomes:
        points = max(0, points + (PER_TASK if outcome == "completed" else -PER_NO_SHOW))
    return points


def competition_ranks(scores: Sequence[int]) -> list[int]:
    """Ranks of ``scores`` (sorted, highest first): equal scores share a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for i, score in enumerate(scores):
        ranks.append(ranks[-1] if i and score == scores[i - 1] else i + 1)
    return ranks


def quarter(value: str) -> tuple[datetime, datetime]:
    """``2026-Q3`` as its half-open window in China time."""
    found = QUARTER.match(value)
    if found is None:
        raise InvalidInput("quarter", f"expected a quarter such as 2026-Q3, got {value!r}")
    year, q = int(found[1]), int(found[2])
    start = datetime(year, 3 * q - 2, 1, tzinfo=CHINA)
    end = datetime(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=CHINA)
    return start, end


def current_quarter() -> str:
    today = china_today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _outcomes(
    conn: Connection, members: list[int], start: datetime, end: datetime
) -> dict[int, list[tuple[str, datetime]]]:
    rows = conn.execute(query("outcomes"), {"members": members, "start": start, "end": end}).all()
    found: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for r in rows:
        found[r.member_id].append((r.outcome, r.confirmed_at))
    return found


def points(conn: Connection, caller: Caller, year: int | None = None) -> dict[str, Any]:
    """The caller's own points in ``year`` (default this year), with the outcomes behind them."""
    member = member_of(conn, caller)
    year = year or china_today().year
    if not 2000 <= year <= 2100:
        raise InvalidInput("year", f"must be between 2000 and 2100, got {year}")
    start, end = datetime(year, 1, 1, tzinfo=CHINA), datetime(year + 1, 1, 1, tzinfo=CHINA)
    events = _outcomes(conn, [member.id], start, end)[member.id]
    outcomes = [o for o, _ in events]
    return {
        "member": {"id": member.id, "name": mask_name(member.name)},
        "year": year,
        "registered": member.registration_id is not None,
        "base": BASE,
        "completed": outcomes.count("completed"),
        "no_shows": outcomes.count("no_show"),
        "points": balance(outcomes),
        "events": [{"outcome": o, "at": at.astimezone(CHINA).isoformat()} for o, at in events],
    }


def ranking(conn: Connection, caller: Caller, community: str, period: str) -> dict[str, Any]:
    """The community's registered members ranked by their points at the quarter's end (the
    year's account so far), with the tasks completed and missed within the quarter."""
    start, end = quarter(period)
    village = area(conn, community, "village", "community")
    if not caller.scope.sees(village.code):
        raise NotFound(f"community: no current village {community!r}")
    members = conn.execute(query("community_members"), {"community": village.code}).all()
    year_start = datetime(start.year, 1, 1, tzinfo=CHINA)
    events = _outcomes(conn, [m.id for m in members], year_start, end)
    rows: list[dict[str, Any]] = []
    for m in members:
        mine = events.get(m.id, [])
        within = [o for o, at in mine if at >= start]
        rows.append(
            {
                "member": {"id": m.id, "name": mask_name(m.name)},
                "micro_grid": {"code": m.micro_grid_code, "name": m.micro_grid_name},
                "points": balance(o for o, _ in mine),
                "completed": within.count("completed"),
                "no_shows": within.count("no_show"),
            }
        )
    rows.sort(key=lambda r: (-r["points"], -r["completed"], r["member"]["id"]))
    for row, rank in zip(rows, competition_ranks([r["points"] for r in rows]), strict=True):
        row["rank"] = rank
    return {
        "community": {"code": village.code, "name": village.name},
        "quarter": period,
        "rows": rows,
    }
