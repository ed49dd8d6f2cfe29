"""The ladder's figures (WORKFLOW.md §5.6), counted from the files and their attempts.

- 调解成功率: settled ÷ accepted, per level (of the disputes mediated on that rung, those
  settled there), per rung number of each level (of the disputes that had that attempt,
  those it settled) and per dispute type (of the files of that type, those settled);
- 就地化解率: settled at the township or below ÷ settled;
- time to settle: days from intake to the settling attempt (mean and median);
- repeat disputes: files sharing both sides' parties, or the same place (queue area), with
  another file of the period.

Only counts leave: the parties are compared by a digest computed in the database.

Examples
--------
>>> rate(2, 3), rate(0, 0)
(0.6667, None)
>>> period_bounds("2024"), period_bounds("2024-03")
(('2024-01-01', '2025-01-01'), ('2024-03-01', '2024-04-01'))
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from cases.mediation import ladder
from cases.mediation.sql import query
from geo.errors import InvalidInput
from geo.periods import CHINA
from geo.scope import Scope

PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def period_bounds(period: str | None) -> tuple[str | None, str | None]:
    """``YYYY`` or ``YYYY-MM`` as a half-open date window (None: every period)."""
    if not period:
        return None, None
    found = PERIOD.match(period)
    if found is None or not 1 <= int(found[2] or 1) <= 12 or not 2000 <= int(found[1]) <= 2100:
        raise InvalidInput("period", "must be a year (2024) or a month (2024-03)", where="query")
    year, month = int(found[1]), found[2]
    if month is None:
        return date(year, 1, 1).isoformat(), date(year + 1, 1, 1).isoformat()
    m = int(month)
    end = date(year + m // 12, m % 12 + 1, 1)
    return date(year, m, 1).isoformat(), end.isoformat()


def stats(conn: Connection, scope: Scope, period: str | None, area: str | None) -> dict[str, Any]:
    """The figures of the files inside ``scope`` (and ``area``, a code prefix) opened in
    ``period``."""
    if area is not None and not (area.isdigit() and len(area) <= 32):
        raise InvalidInput("area", "must be an area code (digits)", where="query")
    start, end = period_bounds(period)
    rows = conn.execute(
        query("stats_files"), {**scope.params(), "area": area, "start": start, "end": end}
    ).all()
    return figures(rows, period, area)


def figures(rows: Sequence[Any], period: str | None, area: str | None) -> dict[str, Any]:
    """The figures of the rows of ``stats_files.sql``."""
    settled = [r for r in rows if r.outcome == "settled"]
    settled_at = {r.id: next(a for a in r.attempts if a[2] == "settled") for r in settled}
    mediated = Counter(lv for r in rows for lv in {a[0] for a in r.attempts})
    by_level = Counter(a[0] for a in settled_at.values())
    had = Counter((a[0], a[1]) for r in rows for a in r.attempts)
    by_rung = Counter((a[0], a[1]) for a in settled_at.values())
    types = Counter(r.category_code for r in rows)
    settled_types = Counter(r.category_code for r in settled)
    days = [
        (datetime.fromisoformat(settled_at[r.id][3]).astimezone(CHINA).date() - r.intake_on).days
        for r in settled
    ]
    parties = Counter(r.parties for r in rows if r.parties)
    places = Counter(r.place for r in rows)
    return {
        "period": period,
        "area": area,
        "accepted": len(rows),
        "settled": len(settled),
        "success_rate": rate(len(settled), len(rows)),
        "local_rate": rate(by_level["village"] + by_level["township"], len(settled)),
        "levels": [
            {
                "level": lv,
                "accepted": mediated[lv],
                "settled": by_level[lv],
                "success_rate": rate(by_level[lv], mediated[lv]),
                "rungs": [
                    {
                        "rung": n,
                        "accepted": had[(lv, n)],
                        "settled": by_rung[(lv, n)],
                        "success_rate": rate(by_rung[(lv, n)], had[(lv, n)]),
                    }
                    for n in range(1, 4)
                    if had[(lv, n)]
                ],
            }
            for lv in ladder.RUNGS
        ],
        "types": [
            {
                "code": code,
                "accepted": n,
                "settled": settled_types[code],
                "success_rate": rate(settled_types[code], n),
            }
            for code, n in sorted(types.items())
        ],
        "days_to_settle": {
            "mean": round(statistics.fmean(days), 1) if days else None,
            "median": statistics.median(days) if days else None,
        },
        "repeats": {
            "same_parties": sum(n for n in parties.values() if n > 1),
            "same_place": sum(n for n in places.values() if n > 1),
        },
        "outcomes": dict(sorted(Counter(r.outcome or "open" for r in rows).items())),
    }
