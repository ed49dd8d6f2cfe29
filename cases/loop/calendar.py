"""The working-day calendar and deadline arithmetic: WORKFLOW.md's WH and WD.

Whether a day is worked is decided, first rule that speaks:

1. a row of the ``work_day`` table (editable data: a holiday or a make-up working day, 调休,
   decided late, or a whole year the package does not know yet);
2. the ``chinese-calendar`` package, China's official schedule for the years it covers
   (2004–2026 in 1.11.0; :func:`coverage` says which);
3. otherwise Monday to Friday, and :func:`coverage` reports ``"weekdays"`` so the API can say
   that the year's holidays are not known until rows are added.

Working time is the configured spans of each working day in China time, by default
08:30–12:00 and 14:30–18:00 (seven hours a day, setting ``WANGGE_WORKING_HOURS``). A limit is
counted in one of three units:

``minutes``
    minutes of the clock, day and night (the urgent limits: 10 minutes);
``work_hours``
    hours of working time;
``work_days``
    a working day's length of working time each (seven hours by default), so that one working
    day from 15:00 ends at 15:00 of the next working day, and 0.5 WD is half of one.

A deadline that falls on the end of a span is that end (12:00, not 14:30). The arithmetic is
pure (:class:`Calendar`); :func:`add_working` reads the overrides from the database first.

Examples
--------
Dispatched on the afternoon before the 2026 National Day holiday (1–7 October, with Saturday
10 October worked instead), five working days run 8, 9, 10, 12 and 13 October:

>>> cal = Calendar()
>>> due = cal.add(at(2026, 9, 30, 15, 0), Decimal(5), "work_days")
>>> print(due)
2026-10-13 15:00:00+08:00

Two working hours from 11:00 span lunch; from 17:00 they span the night:

>>> print(cal.add(at(2026, 12, 4, 11, 0), Decimal(2), "work_hours"))
2026-12-04 15:30:00+08:00
>>> print(cal.add(at(2026, 12, 4, 17, 0), Decimal(2), "work_hours"))
2026-12-07 09:30:00+08:00

Sunday 20 September 2026 is a make-up working day; a row can make any day one:

>>> cal.is_working(date(2026, 9, 20)), cal.is_working(date(2026, 9, 27))
(True, False)
>>> Calendar({date(2026, 9, 27): True}).is_working(date(2026, 9, 27))
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import chinese_calendar
from sqlalchemy import Connection

from access import audit
from access.audit import Actor
from cases.loop.sql import query
from geo.errors import InvalidInput
from geo.periods import CHINA

__all__ = [
    "CHINA",
    "UNITS",
    "Calendar",
    "WorkingHours",
    "add_working",
    "at",
    "coverage",
    "current",
    "load",
    "set_year",
    "year_view",
]

#: The units a time limit is counted in.
UNITS = ("minutes", "work_hours", "work_days")
DEFAULT_WORKING_HOURS = "08:30-12:00,14:30-18:00"
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment given in China time.

    >>> print(at(2026, 10, 1, 8, 30))
    2026-10-01 08:30:00+08:00
    """
    return datetime(year, month, day, hour, minute, tzinfo=CHINA)


@dataclass(frozen=True)
class WorkingHours:
    """The working spans of a working day, in China time, in order and not overlapping.

    >>> hours = WorkingHours.parse("08:30-12:00,14:30-18:00")
    >>> hours.seconds_per_day / 3600
    7.0
    >>> WorkingHours.parse("9:00-8:00")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: working hours: 9:00-8:00 ends before it starts
    """

    spans: tuple[tuple[time, time], ...]

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        spans: list[tuple[time, time]] = []
        for part in text.split(","):
            found = _SPAN.match(part)
            if found is None:
                raise ValueError(f"working hours: {part.strip()!r} is not like 08:30-12:00")
            h1, m1, h2, m2 = (int(g) for g in found.groups())
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
                raise ValueError(f"working hours: {part.strip()} is not a time of day")
            begin = time(h1, m1)
            end = time.max if h2 == 24 else time(h2, m2)
            if end <= begin:
                raise ValueError(f"working hours: {part.strip()} ends before it starts")
            if spans and begin < spans[-1][1]:
                raise ValueError(f"working hours: {part.strip()} overlaps the span before it")
            spans.append((begin, end))
        return cls(tuple(spans))

    @property
    def seconds_per_day(self) -> int:
        return sum(_seconds(begin, end) for begin, end in self.spans)


def _seconds(begin: time, end: time) -> int:
    return (end.hour - begin.hour) * 3600 + (end.minute - begin.minute) * 60


@cache
def configured_hours() -> WorkingHours:
    """The working hours of ``WANGGE_WORKING_HOURS``, read once per process."""
    from geo.settings import Settings

    return WorkingHours.parse(Settings().working_hours)


def package_covers(year: int) -> bool:
    """Whether ``chinese-calendar`` knows the official schedule of ``year``.

    >>> package_covers(2026), package_covers(2027)
    (True, False)
    """
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def _package_working(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class Calendar:
    """Working days (the overrides on top of the package, then Monday–Friday) and working hours."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    hours: WorkingHours = field(default_factory=lambda: WorkingHours.parse(DEFAULT_WORKING_HOURS))

    def is_working(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        known = _package_working(day)
        return day.weekday() < 5 if known is None else known

    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working(day):
            return []
        return [(datetime.combine(day, b, CHINA), _end_of(day, e)) for b, e in self.hours.spans]

    def seconds(self, amount: Decimal, unit: str) -> int:
        """``amount`` of ``unit`` in seconds (of the clock or of working time)."""
        if unit not in UNITS:
            raise InvalidInput("unit", f"must be one of {', '.join(UNITS)}, got {unit!r}")
        if amount < 0:
            raise InvalidInput("amount", f"must not be negative, got {amount}")
        per = {"minutes": 60, "work_hours": 3600, "work_days": self.hours.seconds_per_day}[unit]
        return int((amount * per).to_integral_value())

    def add(self, start: datetime, amount: Decimal, unit: str) -> datetime:
        """The moment ``amount`` of ``unit`` after ``start``, in China time."""
        seconds = self.seconds(amount, unit)
        if unit == "minutes":
            return (start + timedelta(seconds=seconds)).astimezone(CHINA)
        return self.forward(start, seconds)

    def forward(self, start: datetime, seconds: int) -> datetime:
        """``seconds`` of working time after ``start`` (the next working moment when 0)."""
        local = start.astimezone(CHINA)
        day, left = local.date(), seconds
        for _ in range(3700):  # ten years of days: only a calendar with no working day runs out
            for begin, end in self._spans(day):
                begin = max(begin, local)
                if begin >= end:
                    continue
                available = int((end - begin).total_seconds())
                if left <= available:
                    return begin + timedelta(seconds=left)
                left -= available
            day += timedelta(days=1)
        raise ValueError(f"no working time within ten years after {start}")

    def back(self, end: datetime, amount: Decimal, unit: str) -> datetime:
        """The latest moment ``t`` with ``add(t, amount, unit) <= end``: the sweep asks "which
        deadlines lie ``amount`` behind now" once per amount instead of once per case.

        >>> cal = Calendar()
        >>> start = cal.back(at(2026, 10, 13, 15, 0), Decimal(5), "work_days")
        >>> print(start, cal.add(start, Decimal(5), "work_days"))
        2026-09-30 15:00:00+08:00 2026-10-13 15:00:00+08:00
        """
        seconds = self.seconds(amount, unit)
        if unit == "minutes":
            return (end - timedelta(seconds=seconds)).astimezone(CHINA)
        return self.backward(end, seconds)

    def backward(self, end: datetime, seconds: int) -> datetime:
        """The latest moment ``t`` with ``forward(t, seconds) <= end`` (``end`` when 0)."""
        if seconds == 0:
            return end.astimezone(CHINA)
        local = end.astimezone(CHINA)
        day, left = local.date(), seconds
        for _ in range(3700):
            for begin, stop in reversed(self._spans(day)):
                stop = min(stop, local)
                if stop <= begin:
                    continue
                available = int((stop - begin).total_seconds())
                if left <= available:
                    return stop - timedelta(seconds=left)
                left -= available
            day -= timedelta(days=1)
        raise ValueError(f"no working time within ten years before {end}")

    def resumed(self, due_at: datetime, hung_since: datetime, resumed_at: datetime) -> datetime:
        """The handling deadline of a case resumed at ``resumed_at`` after hanging since
        ``hung_since``: the working time that was left when it was hung, from ``resumed_at``
        (a case hung when already late resumes as late as it was).

        >>> cal = Calendar()
        >>> print(cal.resumed(at(2026, 12, 4, 17, 0), at(2026, 12, 4, 16, 0),
        ...                   at(2026, 12, 7, 9, 0)))
        2026-12-07 10:00:00+08:00
        """
        if due_at <= hung_since:
            return self.backward(resumed_at, self.between(due_at, hung_since))
        return self.forward(resumed_at, self.between(hung_since, due_at))

    def between(self, start: datetime, end: datetime) -> int:
        """Seconds of working time from ``start`` to ``end`` (0 when ``end`` is not later): what
        is left of a handling limit when a case is hung.

        >>> Calendar().between(at(2026, 9, 30, 15, 0), at(2026, 10, 8, 9, 30)) / 3600
        4.0
        """
        if end <= start:
            return 0
        total, day, last = 0, start.astimezone(CHINA).date(), end.astimezone(CHINA).date()
        while day <= last:
            for begin, stop in self._spans(day):
                begin, stop = max(begin, start), min(stop, end)
                if stop > begin:
                    total += int((stop - begin).total_seconds())
            day += timedelta(days=1)
        return total


def _end_of(day: date, end: time) -> datetime:
    if end == time.max:  # a span to midnight
        return datetime.combine(day + timedelta(days=1), time(0), CHINA)
    return datetime.combine(day, end, CHINA)


def load(conn: Connection, hours: WorkingHours | None = None) -> Calendar:
    """The calendar with the ``work_day`` rows as overrides (a few dozen rows a year)."""
    return of_rows(conn.execute(query("work_days_all")), hours)


def of_rows(rows: Iterable[Any], hours: WorkingHours | None = None) -> Calendar:
    """The calendar with the rows of ``work_days_all.sql`` as overrides."""
    return Calendar({r.day: r.working for r in rows}, hours or configured_hours())


#: Calendars kept in this process by (database, stamp of the ``work_day`` rows): a stamp
#: changes with any row written or removed (fragment ``calendar_stamp``), by this process
#: or another, so a kept calendar is never stale; :func:`set_year` also forgets them.
_KEPT: dict[tuple[str, str], Calendar] = {}


def current(conn: Connection, stamp: str) -> Calendar:
    """The calendar of ``conn``'s database whose ``work_day`` rows have ``stamp`` (read by the
    caller with its own statement: fragment ``calendar_stamp``), loaded once per stamp."""
    database = conn.engine.url.render_as_string()
    return kept(database, stamp) or keep(database, stamp, load(conn))


def kept(database: str, stamp: str) -> Calendar | None:
    """The calendar kept for ``database`` (its URL) at ``stamp``, if one is."""
    return _KEPT.get((database, stamp))


def keep(database: str, stamp: str, calendar: Calendar) -> Calendar:
    """Keep ``calendar`` as ``database``'s at ``stamp`` (:func:`current`, :func:`kept`)."""
    if len(_KEPT) > 64:
        _KEPT.clear()
    _KEPT[(database, stamp)] = calendar
    return calendar


def forget() -> None:
    """Forget the kept calendars (after the ``work_day`` rows changed)."""
    _KEPT.clear()


def add_working(conn: Connection, start: datetime, amount: Decimal, unit: str) -> datetime:
    """The deadline ``amount`` of ``unit`` (minutes, work_hours, work_days) after ``start``, on
    the calendar with the database's overrides, in China time."""
    return load(conn).add(start, Decimal(amount), unit)


def coverage(year: int, overrides: Mapping[date, bool]) -> str:
    """Where ``year``'s working days come from: ``package`` (the official schedule, rows on top),
    ``data`` (no package schedule, the year's rows) or ``weekdays`` (neither: Monday–Friday,
    holidays unknown).

    >>> coverage(2026, {}), coverage(2027, {}), coverage(2027, {date(2027, 1, 1): False})
    ('package', 'weekdays', 'data')
    """
    if package_covers(year):
        return "package"
    return "data" if any(d.year == year for d in overrides) else "weekdays"


#: The years the calendar API reads and edits.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_NOTES = {
    "package": "法定节假日和调休来自国务院办公厅公布的安排（chinese-calendar），本表的调整优先。",
    "data": "该年的节假日和调休由本表维护。",
    "weekdays": "该年的法定节假日安排尚未录入：暂按周一至周五上班计算，请管理员录入。",
}


def _year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("year", f"must be from {FIRST_YEAR} to {LAST_YEAR}", where="path")


def year_view(conn: Connection, year: int) -> dict[str, Any]:
    """``year``'s calendar: where it comes from (:func:`coverage`, with a note in Chinese), the
    overrides, and every day that is worked otherwise than Monday–Friday would say."""
    _year(year)
    rows = list(conn.execute(query("work_days_year"), {"year": year}))
    cal = Calendar({r.day: r.working for r in rows})
    own = {r.day for r in rows}
    day, days = date(year, 1, 1), []
    while day.year == year:
        working = cal.is_working(day)
        if working != (day.weekday() < 5):
            days.append(
                {"day": day, "working": working, "source": "data" if day in own else "package"}
            )
        day += timedelta(days=1)
    source = coverage(year, {r.day: r.working for r in rows})
    return {
        "year": year,
        "source": source,
        "note": _NOTES[source],
        "overrides": [{"day": r.day, "working": r.working, "note": r.note} for r in rows],
        "days": days,
    }


def set_year(
    conn: Connection, year: int, overrides: list[dict[str, Any]], *, actor: Actor
) -> dict[str, Any]:
    """Replace ``year``'s overrides with ``overrides`` (``{"day", "working", "note"}`` each),
    audited (``calendar.update``, the lists before and after); the year as :func:`year_view`."""
    _year(year)
    seen: set[date] = set()
    for i, item in enumerate(overrides):
        if item["day"].year != year:
            raise InvalidInput(f"overrides.{i}.day", f"is not in {year}", where="body")
        if item["day"] in seen:
            raise InvalidInput(f"overrides.{i}.day", f"{item['day']} is listed twice", where="body")
        seen.add(item["day"])
    before = [
        _jsonable(dict(r._mapping)) for r in conn.execute(query("work_days_year"), {"year": year})
    ]
    conn.execute(query("work_days_clear_year"), {"year": year})
    for item in overrides:
        conn.execute(query("work_day_insert"), item)
    forget()
    after = [_jsonable(item) for item in sorted(overrides, key=lambda o: o["day"])]
    audit.record(conn, actor, "calendar.update", "calendar", year, before=before, after=after)
    return year_view(conn, year)


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"day": row["day"].isoformat(), "working": row["working"], "note": row.get("note")}
