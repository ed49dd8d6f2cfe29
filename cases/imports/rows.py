"""Checking imported rows one at a time; every problem is named by its field.

The point follows :func:`geo.points.check_point` (missing or unknown datum, NaN or out of
range, swapped axes, GCJ-02/BD-09 outside China). Then the fields every report has, by the
rules and in the words of :mod:`cases.report` (the API and Open311 use them too): the category
a four-digit minor code, here also one of table ``category``; the description at most 4,000
characters; the reporter's name at most 100, phone a plausible number of at most 20, and ID
number (``reporter_id_number``) 17 digits and a GB 11643 check digit. Timestamps ISO 8601 (a
timestamp without an offset is China Standard Time, as Chinese systems write them), none in
the future, the incident not occurring after it was reported; the status one of
:class:`IncidentStatus`, and any status but ``reported`` needs a ``status_at`` after
``reported_at``.

Examples
--------
>>> from geo.files.pointfile import Record
>>> now = datetime(2026, 1, 1, tzinfo=CHINA)
>>> checker = RowChecker({"0101"}, now)
>>> row = checker.check(Record(2, {"lon": "110.04", "lat": "40.4", "datum": "wgs84",
...                                "category": "0101", "reported_at": "2025-03-01 09:30"}))
>>> row.reported_at.isoformat(), row.status.value
('2025-03-01T09:30:00+08:00', 'reported')
>>> [str(p) for p in checker.check(Record(3, {"lon": "x", "lat": "40", "datum": "wgs84",
...                                            "category": "9999"}))]
["line 3: lon: must be a number, got 'x'", "line 3: category: unknown category '9999'; \
expected a four-digit minor class code of table category, e.g. 0101"]
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cases.codes import TIMEZONE
from cases.models import IncidentStatus
from cases.report import (
    category_problem,
    description_problem,
    id_number_problem,
    name_problem,
    phone_problem,
)
from geo.datum import Datum
from geo.errors import InvalidInput
from geo.files.pointfile import Record
from geo.points import check_point

__all__ = ["CHINA", "Refusal", "Row", "RowChecker"]

CHINA = ZoneInfo(TIMEZONE)
#: Clocks differ: a timestamp this far ahead of ours still counts as now.
CLOCK_SLACK = timedelta(minutes=5)
STATUS_CHOICES = ", ".join(s.value for s in IncidentStatus)


@dataclass(frozen=True)
class Refusal:
    """Why one row was not imported: its line, the field at fault and the reason."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class Row:
    """An accepted row, every value checked; coordinates still in the declared datum."""

    line: int
    raw_lon: float
    raw_lat: float
    datum: Datum
    category: str
    description: str
    occurred_at: datetime | None
    reported_at: datetime
    status: IncidentStatus
    status_at: datetime | None
    reporter_name: str | None
    reporter_phone: str | None
    reporter_id_number: str | None = None


class _Problems:
    def __init__(self, line: int) -> None:
        self.line = line
        self.found: list[Refusal] = []

    def add(self, field: str, reason: str) -> None:
        self.found.append(Refusal(self.line, field, reason))


class RowChecker:
    """Checks records against the categories known to the database and the time ``now``."""

    def __init__(self, categories: Collection[str], now: datetime) -> None:
        self.categories = categories
        self.now = now

    def check(self, record: Record) -> Row | list[Refusal]:
        """The accepted :class:`Row`, or every problem found in the record."""
        problems = _Problems(record.line)
        if record.problem is not None:
            problems.add(*record.problem)
            if record.problem[0] == "row":  # values are misaligned: nothing else is reliable
                return problems.found
        v = record.values
        point = self._point(v, problems, check_coordinates=record.problem is None)
        category = _text(v.get("category"))
        if not category:
            problems.add("category", "is required")
        elif (shape := category_problem(category)) is not None:
            problems.add("category", shape)
        elif category not in self.categories:
            problems.add(
                "category",
                f"unknown category {category!r}; expected a four-digit minor class code of "
                "table category, e.g. 0101",
            )
        description = _text(v.get("description"), strip=False) or ""
        name = _text(v.get("reporter_name"))
        phone = _text(v.get("reporter_phone"))
        id_number = (_text(v.get("reporter_id_number")) or "").upper()
        for field, value, rule in (
            ("description", description, description_problem),
            ("reporter_name", name, name_problem),
            ("reporter_phone", phone, phone_problem),
            ("reporter_id_number", id_number, id_number_problem),
        ):
            problem = rule(value) if value else None
            if problem is not None:
                problems.add(field, problem)
        status = self._status(v, problems)
        occurred_at, reported_at, status_at = self._times(v, status, problems)
        if problems.found:
            return problems.found
        assert point is not None and category is not None and status is not None
        return Row(
            line=record.line,
            raw_lon=point[1],
            raw_lat=point[2],
            datum=point[0],
            category=category,
            description=description,
            occurred_at=occurred_at,
            reported_at=reported_at or self.now,
            status=status,
            status_at=status_at if status is not IncidentStatus.REPORTED else None,
            reporter_name=name or None,
            reporter_phone=phone or None,
            reporter_id_number=id_number or None,
        )

    def _point(
        self, v: dict[str, Any], problems: _Problems, *, check_coordinates: bool
    ) -> tuple[Datum, float, float] | None:
        if not check_coordinates:  # the geometry was refused already
            return None
        try:
            lon = _number("lon", v.get("lon"))
            lat = _number("lat", v.get("lat"))
            datum = check_point(lon, lat, _text(v.get("datum")))
        except InvalidInput as exc:
            problems.add(exc.field, exc.problem)
            return None
        assert lon is not None and lat is not None
        return datum, lon, lat

    def _status(self, v: dict[str, Any], problems: _Problems) -> IncidentStatus | None:
        value = (_text(v.get("status")) or IncidentStatus.REPORTED.value).lower()
        try:
            return IncidentStatus(value)
        except ValueError:
            problems.add("status", f"unknown status {value!r}; expected one of {STATUS_CHOICES}")
            return None

    def _times(
        self, v: dict[str, Any], status: IncidentStatus | None, problems: _Problems
    ) -> tuple[datetime | None, datetime | None, datetime | None]:
        stamps: dict[str, datetime | None] = {}
        unreadable: set[str] = set()
        for name in ("occurred_at", "reported_at", "status_at"):
            try:
                stamps[name] = _timestamp(name, v.get(name))
            except InvalidInput as exc:
                problems.add(exc.field, exc.problem)
                stamps[name] = None
                unreadable.add(name)
                continue
            stamp = stamps[name]
            if stamp is not None and stamp > self.now + CLOCK_SLACK:
                problems.add(name, f"{stamp.isoformat()} is in the future")
        occurred, reported, done = stamps["occurred_at"], stamps["reported_at"], stamps["status_at"]
        if "reported_at" in unreadable:  # nothing to compare the others with
            return occurred, reported, done
        reported_or_now = reported or self.now
        if occurred is not None and occurred > reported_or_now:
            problems.add("occurred_at", f"{occurred.isoformat()} is after reported_at")
        if status is not None and status is not IncidentStatus.REPORTED:
            if done is None and "status_at" not in unreadable:
                problems.add("status_at", f"is required when status is {status.value!r}")
            elif done is not None and done <= reported_or_now:
                problems.add("status_at", f"{done.isoformat()} is not after reported_at")
        return occurred, reported, done


def _text(value: Any, *, strip: bool = True) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text.strip() if strip else text


def _number(field: str, value: Any) -> float | None:
    """A coordinate as a float; ``None`` when absent (the point check says it is required)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(field, f"must be a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(field, f"must be a number, got {value!r}") from None


def _timestamp(field: str, value: Any) -> datetime | None:
    """An ISO 8601 timestamp; without an offset it is China Standard Time."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(
                field,
                f"{value!r} is not an ISO 8601 timestamp such as 2024-05-01T09:30:00+08:00",
            ) from None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=CHINA)
