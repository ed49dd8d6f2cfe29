"""Time limits as data: per category × urgency × step, in minutes, working hours or working days.

The ``time_limit`` table holds WORKFLOW.md §1's defaults as rows for any category (``'*'``)
and each category's handling limit (seeded by migration 0005 from
``category.time_limit_hours``); an administrator changes them through the API, every change
audited (``time_limit.update``) with the row before and after. A category's limit for a step is
its own row, else its major class's, else the ``'*'`` row (:func:`limit_for`).

Deadlines are the calendar's arithmetic (:mod:`cases.loop.calendar`) on these rows:
:func:`step_due` when a step starts, :func:`resumed_due` when a hung case resumes (the clock
stood still while it hung) and :func:`delayed_due` when a delay is approved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection

from access import audit
from access.audit import Actor
from cases.loop import calendar
from cases.loop.sql import query
from geo.errors import InvalidInput, NotFound

#: The steps a limit is set for, in the order a case meets them.
STEPS = ("accept", "file", "dispatch", "sign", "handle", "verify", "evaluate")
#: The longest limit or card delay accepted, in working days (a year of them).
MAX_WORK_DAYS = Decimal(250)
#: An approved delay is at most this many working days (WORKFLOW.md §1).
MAX_DELAY_DAYS = Decimal(10)


@dataclass(frozen=True)
class Limit:
    """How long a step may take, and the cards: ``yellow_after`` / ``red_after`` working days
    past the deadline (None: no card for this step)."""

    amount: Decimal
    unit: str
    yellow_after: Decimal | None = None
    red_after: Decimal | None = None


class CaseRow(Protocol):
    """What :func:`step_due` reads of an incident (a row of ``incident`` will do)."""

    @property
    def category_code(self) -> str: ...
    @property
    def urgent(self) -> bool: ...


def limit_for(conn: Connection, category_code: str, urgent: bool, step: str) -> Limit:
    """The limit of ``step`` for a case of ``category_code`` (its own, its major's, or any)."""
    if step not in STEPS:
        raise InvalidInput("step", f"must be one of {', '.join(STEPS)}, got {step!r}")
    row = conn.execute(
        query("time_limit_for"), {"step": step, "urgent": urgent, "category": category_code}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no time limit for step {step} (urgent: {urgent})")
    return Limit(row.amount, row.unit, row.yellow_after, row.red_after)


def step_due(conn: Connection, incident_row: CaseRow, step: str, start: datetime) -> datetime:
    """The deadline of ``step`` begun at ``start`` for this case, on the working calendar (one
    round trip: the limit and the calendar's stamp; the calendar is kept per stamp)."""
    if step not in STEPS:
        raise InvalidInput("step", f"must be one of {', '.join(STEPS)}, got {step!r}")
    category, urgent = incident_row.category_code, incident_row.urgent
    row = conn.execute(
        query("step_limit"), {"step": step, "urgent": urgent, "category": category}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no time limit for step {step} (urgent: {urgent})")
    return calendar.current(conn, row.calendar_stamp).add(start, Decimal(row.amount), row.unit)


def resumed_due(
    conn: Connection, due_at: datetime, hung_since: datetime, resumed_at: datetime
) -> datetime:
    """The handling deadline of a case resumed at ``resumed_at`` after hanging since
    ``hung_since``: the working time that was left when it was hung, from ``resumed_at``
    (a case hung when already late resumes as late as it was)."""
    return calendar.load(conn).resumed(due_at, hung_since, resumed_at)


def delayed_due(conn: Connection, due_at: datetime, days: Decimal) -> datetime:
    """The handling deadline moved by an approved delay of ``days`` working days (at most
    :data:`MAX_DELAY_DAYS`; field ``delay_days``)."""
    if not 0 < days <= MAX_DELAY_DAYS:
        raise InvalidInput("delay_days", f"must be more than 0 and at most {MAX_DELAY_DAYS}")
    return calendar.add_working(conn, due_at, days, "work_days")


def time_limits(conn: Connection) -> list[dict[str, Any]]:
    """Every row, ``'*'`` first."""
    return [_view(r) for r in conn.execute(query("time_limits_all"))]


def _view(row: Any) -> dict[str, Any]:
    return {
        "category_code": row.category_code,
        "urgent": row.urgent,
        "step": row.step,
        "amount": plain(row.amount),
        "unit": row.unit,
        "yellow_after": plain(row.yellow_after),
        "red_after": plain(row.red_after),
    }


def plain(value: Decimal | None) -> Decimal | None:
    """A stored number without the trailing zeros of its arithmetic (120 / 24.0 is 5).

    >>> plain(Decimal("5.0000000000000000")), plain(Decimal("120")), plain(Decimal("0.50"))
    (Decimal('5'), Decimal('120'), Decimal('0.5'))
    """
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _check(conn: Connection, category_code: str, step: str, urgent: bool, limit: Limit) -> None:
    """Refuse a row that could not be a limit, naming the field (nothing is written)."""
    if (
        category_code != "*"
        and not conn.execute(query("category_exists"), {"code": category_code}).scalar_one()
    ):
        raise InvalidInput(
            "category", f"unknown category {category_code!r} ('*': any)", where="path"
        )
    if step not in STEPS:
        raise InvalidInput("step", f"must be one of {', '.join(STEPS)}", where="path")
    if limit.unit not in calendar.UNITS:
        raise InvalidInput("unit", f"must be one of {', '.join(calendar.UNITS)}", where="body")
    days = limit.amount * {"minutes": Decimal(1) / 420, "work_hours": Decimal(1) / 7}.get(
        limit.unit, Decimal(1)
    )
    if not 0 < days <= MAX_WORK_DAYS:
        raise InvalidInput(
            "amount", f"must be more than 0 and at most {MAX_WORK_DAYS} working days", where="body"
        )
    for name in ("yellow_after", "red_after"):
        value = getattr(limit, name)
        if value is not None and not 0 < value <= MAX_WORK_DAYS:
            raise InvalidInput(
                name, f"must be more than 0 and at most {MAX_WORK_DAYS}", where="body"
            )
    if (limit.yellow_after is None) != (limit.red_after is None):
        raise InvalidInput("red_after", "yellow_after and red_after are set together", where="body")
    yellow, red = limit.yellow_after, limit.red_after
    if yellow is not None and red is not None and red <= yellow:
        raise InvalidInput("red_after", "must be later than yellow_after", where="body")


def set_limit(
    conn: Connection, category_code: str, step: str, urgent: bool, limit: Limit, *, actor: Actor
) -> dict[str, Any]:
    """Set one limit (adding the row for a category that had none), audited; the new row."""
    _check(conn, category_code, step, urgent, limit)
    key = {"category": category_code, "urgent": urgent, "step": step}
    before = conn.execute(query("time_limit_one"), key).one_or_none()
    conn.execute(query("time_limit_put"), key | asdict(limit))
    after = _view(conn.execute(query("time_limit_one"), key).one())
    audit.record(
        conn,
        actor,
        "time_limit.update",
        "time_limit",
        f"{category_code}/{'urgent' if urgent else 'normal'}/{step}",
        before=None if before is None else _json(_view(before)),
        after=_json(after),
    )
    return after


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}
