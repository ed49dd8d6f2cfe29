"""Coverage (三全): per micro-grid, or rolled up to a grid, village or township.

For each area: households, claimed (认领) and the 认领率, visited inside each household's
cadence window (走访覆盖率; the window is the strictest of its persons' tags, ordinary
households 182 days), overdue households, the last contact, members serving inside it, and
its micro-grids that are "uncovered": no member, or no contact in 14 days. The rule is one
fragment, ``geo/sql/fragments/micro_grid_coverage.sql``, shared with the OGC collection, the
tiles and the sweep. Counts only: no household, person or member leaves this module.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from cases.routines.sql import query
from geo.errors import InvalidInput
from geo.scope import Scope

LEVELS = ("micro_grid", "grid", "village", "township")


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places, None when there is nothing to share.

    >>> share(1, 3), share(0, 0)
    (0.3333, None)
    """
    return round(part / whole, 4) if whole else None


def coverage(
    conn: Connection,
    scope: Scope,
    generation: int,
    *,
    level: str = "micro_grid",
    within: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The areas at ``level`` inside ``within`` (an area code, None: all) and ``scope``."""
    if level not in LEVELS:
        raise InvalidInput("level", f"expected one of {', '.join(LEVELS)}, got {level!r}")
    if within is not None and not (within.isdigit() and 6 <= len(within) <= 16):
        raise InvalidInput("within", f"expected an area code (6 to 16 digits), got {within!r}")
    now = now or datetime.now(UTC)
    rows = conn.execute(
        query("coverage"),
        {"g": generation, "level": level, "within": within, "now": now, **scope.params()},
    ).all()
    areas = [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "households": r.households,
            "claimed": r.claimed,
            "claimed_share": share(r.claimed, r.households),
            "visited": r.visited,
            "visited_share": share(r.visited, r.households),
            "overdue": r.overdue,
            "last_contact": r.last_contact.isoformat() if r.last_contact else None,
            "members": r.members,
            "micro_grids": r.micro_grids,
            "uncovered": r.uncovered,
        }
        for r in rows
    ]
    return {"level": level, "within": within, "at": now.isoformat(), "areas": areas}
