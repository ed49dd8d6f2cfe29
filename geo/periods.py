"""The reporting periods a person picks from: the last 30 days, this year, last year, each
other year that has records, and all of them, as half-open windows in China time.

The years come from the data (:func:`reported_years`), "today" from the clock in China time,
so the list never goes stale the way a hard-coded "2023–2024" did.

Examples
--------
>>> for p in periods(date(2026, 12, 4), (2023, 2024)):
...     print(p.label, p.start, p.end)
全部（2023—2024年） None None
近30天 2026-11-05T00:00:00+08:00 2026-12-05T00:00:00+08:00
今年（2026年） 2026-01-01T00:00:00+08:00 2027-01-01T00:00:00+08:00
去年（2025年） 2025-01-01T00:00:00+08:00 2026-01-01T00:00:00+08:00
2024年 2024-01-01T00:00:00+08:00 2025-01-01T00:00:00+08:00
2023年 2023-01-01T00:00:00+08:00 2024-01-01T00:00:00+08:00
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Connection

from geo.sql import query

#: China Standard Time, the time a person in the banner reads.
CHINA = timezone(timedelta(hours=8), "CST")
RECENT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """``[start, end)`` as ISO 8601 with the +08:00 offset; both None: no bound."""

    label: str
    start: str | None
    end: str | None


def _midnight(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).isoformat()


def _year(year: int, label: str) -> Period:
    return Period(label, _midnight(date(year, 1, 1)), _midnight(date(year + 1, 1, 1)))


def china_today(now: datetime | None = None) -> date:
    """Today's date in China.

    >>> china_today(datetime(2026, 12, 4, 16, 30, tzinfo=timezone.utc))
    datetime.date(2026, 12, 5)
    """
    return (now or datetime.now(UTC)).astimezone(CHINA).date()


def reported_years(conn: Connection) -> tuple[int, int] | None:
    """The first and last year (China time) with a reported incident, or None."""
    row = conn.execute(query("reported_years")).one()
    return None if row.first is None else (row.first, row.last)


def periods(today: date, years: tuple[int, int] | None) -> list[Period]:
    """All records first, then the last 30 days (today included), this year, last year and
    the other years with records, newest first.

    >>> [p.label for p in periods(date(2026, 1, 2), None)]
    ['全部', '近30天', '今年（2026年）', '去年（2025年）']
    >>> [p.label for p in periods(date(2024, 6, 1), (2024, 2024))]
    ['全部（2024年）', '近30天', '今年（2024年）', '去年（2023年）']
    """
    tomorrow = today + timedelta(days=1)
    recent = Period(
        f"近{RECENT_DAYS}天", _midnight(tomorrow - timedelta(days=RECENT_DAYS)), _midnight(tomorrow)
    )
    this, last = today.year, today.year - 1
    everything = "全部"
    if years is not None:
        first, final = years
        span = f"{first}年" if first == final else f"{first}—{final}年"
        everything = f"全部（{span}）"
    found = (
        [
            _year(year, f"{year}年")
            for year in range(years[1], years[0] - 1, -1)
            if year not in (this, last)
        ]
        if years
        else []
    )
    return [
        Period(everything, None, None),
        recent,
        _year(this, f"今年（{this}年）"),
        _year(last, f"去年（{last}年）"),
        *found,
    ]
