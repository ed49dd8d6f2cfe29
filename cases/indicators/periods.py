"""The periods an indicator is asked for, as half-open windows in China time.

``2026`` (a year), ``2026-Q3`` (a quarter), ``2026-09`` (a month) or
``2026-09-01/2026-09-30`` (two dates, the end day included); none: the current month.

Examples
--------
>>> p = parse_period("2026-Q3")
>>> p.start.isoformat(), p.end.isoformat(), p.label
('2026-07-01T00:00:00+08:00', '2026-10-01T00:00:00+08:00', '2026年第三季度')
>>> parse_period("2026-09-01/2026-09-30").end.isoformat()
'2026-10-01T00:00:00+08:00'
>>> parse_period("2026-02").label, parse_period("2026").label
('2026年2月', '2026年')
>>> parse_period("2026-09-30/2026-09-01")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
geo.errors.InvalidInput: period: ends (2026-09-01) before it starts (2026-09-30)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from geo.errors import InvalidInput
from geo.periods import CHINA, china_today

QUARTER_NAMES = ("一", "二", "三", "四")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")
#: The years a period may lie in (the service's records and a little room either side).
YEARS = range(2000, 2101)


@dataclass(frozen=True)
class Window:
    """``[start, end)`` at midnight China time, and how a person reads it."""

    start: datetime
    end: datetime
    label: str
    text: str

    def as_dict(self) -> dict[str, str]:
        """``{"start", "end", "label"}``: the first and the last day (inclusive), the label."""
        last = (self.end - timedelta(days=1)).date()
        return {
            "start": self.start.date().isoformat(),
            "end": last.isoformat(),
            "label": self.label,
        }


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def _year(text: str) -> int:
    year = int(text)
    if year not in YEARS:
        raise InvalidInput(
            "period", f"year {year} is outside {YEARS[0]}–{YEARS[-1]}", where="query"
        )
    return year


def quarter(year: int, q: int) -> Window:
    start = date(year, 3 * q - 2, 1)
    return Window(
        _midnight(start),
        _midnight(_month_end(year, 3 * q)),
        f"{year}年第{QUARTER_NAMES[q - 1]}季度",
        f"{year}-Q{q}",
    )


def month(year: int, m: int) -> Window:
    return Window(
        _midnight(date(year, m, 1)),
        _midnight(_month_end(year, m)),
        f"{year}年{m}月",
        f"{year}-{m:02d}",
    )


def parse_period(text: str | None, *, field: str = "period", now: datetime | None = None) -> Window:
    """The window ``text`` names (the current month in China when None or empty)."""
    if text is None or not text.strip():
        today = china_today(now)
        return month(today.year, today.month)
    text = text.strip()
    if found := _YEAR.match(text):
        year = _year(found[1])
        return Window(
            _midnight(date(year, 1, 1)), _midnight(date(year + 1, 1, 1)), f"{year}年", text
        )
    if found := _QUARTER.match(text):
        return quarter(_year(found[1]), int(found[2]))
    if found := _MONTH.match(text):
        if not 1 <= int(found[2]) <= 12:
            raise InvalidInput(field, f"month {found[2]} is not 01–12", where="query")
        return month(_year(found[1]), int(found[2]))
    if found := _RANGE.match(text):
        try:
            first, last = date.fromisoformat(found[1]), date.fromisoformat(found[2])
        except ValueError as exc:
            raise InvalidInput(
                field, f"{text!r} holds no valid date: {exc}", where="query"
            ) from None
        _year(str(first.year)), _year(str(last.year))
        if last < first:
            raise InvalidInput(field, f"ends ({last}) before it starts ({first})", where="query")
        return Window(
            _midnight(first), _midnight(last + timedelta(days=1)), f"{first}至{last}", text
        )
    raise InvalidInput(
        field,
        f"{text[:40]!r} is not a period; expected 2026, 2026-Q3, 2026-09 or 2026-09-01/2026-09-30",
        where="query",
    )


def parse_quarter(text: str | None, field: str = "quarter") -> Window:
    """A quarter ``2026-Q3`` (422 naming ``field`` otherwise)."""
    found = _QUARTER.match((text or "").strip())
    if found is None:
        raise InvalidInput(
            field, f"{(text or '')[:40]!r} is not a quarter such as 2026-Q3", where="query"
        )
    return quarter(_year(found[1]), int(found[2]))


def last_quarter(now: datetime | None = None) -> str:
    """The last quarter that has ended in China, as ``2026-Q3``.

    >>> last_quarter(datetime(2026, 12, 4, tzinfo=CHINA))
    '2026-Q3'
    >>> last_quarter(datetime(2026, 2, 1, tzinfo=CHINA))
    '2025-Q4'
    """
    today = china_today(now)
    q = (today.month - 1) // 3
    return f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}"


def previous_quarter(window: Window) -> Window:
    year, q = int(window.text[:4]), int(window.text[-1])
    return quarter(year - 1, 4) if q == 1 else quarter(year, q - 1)
