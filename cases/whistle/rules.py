"""The whistle's vocabulary and rules stated once: kinds, criteria, deadlines, who may blow.

Examples
--------
A resident's problem blown on Friday afternoon is due on site two working days later, on
Tuesday at the same time; an emergency within 30 minutes of the clock:

>>> from cases.loop.calendar import Calendar, at
>>> limits = {"arrive": (Decimal(2), "work_days"), "acknowledge": (Decimal(10), "minutes")}
>>> due = deadlines(Calendar(), limits, at(2026, 12, 4, 15, 0))
>>> print(due["arrive_due"], due["acknowledge_due"], due["respond_due"])
2026-12-08 15:00:00+08:00 2026-12-04 15:10:00+08:00 None
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from access.accounts import Role
from cases.loop.calendar import Calendar
from geo.errors import InvalidInput

#: The kinds of whistle (WORKFLOW.md §3.2) and their Chinese names.
KINDS = {
    "beyond_township": "群众诉求（超出镇级权限）",
    "joint_enforcement": "联合执法",
    "emergency": "应急处置",
}
#: 一哨一考核's criteria (WORKFLOW.md §3.6).
CRITERIA = {"efficiency": "报到效率", "handling": "办理情况", "satisfaction": "结果满意度"}
#: The steps a summoned department has a deadline for.
STEPS = ("acknowledge", "respond", "arrive")
#: Who may blow (§3.1): a township on cases in its area, the command, a department between
#: departments; grid workers and party members raise cases, not whistles.
BLOWERS = frozenset({Role.ADMIN, Role.COMMAND, Role.TOWNSHIP, Role.DEPARTMENT})
#: Who may release and score besides the whistler: the banner command.
OVERSEERS = frozenset({Role.ADMIN, Role.COMMAND})
#: A case in these states takes no whistle, and closes the attendance of its whistles.
CLOSED = ("closed", "evaluated", "void")
MAX_REASON = 2000
MAX_ASSISTING = 8
MAX_KEY = 200


def deadlines(
    cal: Calendar, limits: Mapping[str, tuple[Decimal, str]], blown_at: datetime
) -> dict[str, datetime | None]:
    """Each step's deadline (``<step>_due``) from ``blown_at``; None for a step the kind
    does not have (only a resident's problem has ``respond``)."""
    return {
        f"{step}_due": cal.add(blown_at, *limits[step]) if step in limits else None
        for step in STEPS
    }


def text_field(body: Mapping[str, Any], field: str, limit: int, *, required: bool) -> str | None:
    """``body[field]`` stripped; 422 naming ``field`` when missing (if ``required``), not
    text, or longer than ``limit``."""
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(field, "must be text")
    value = (value or "").strip() or None
    if value is None and required:
        raise InvalidInput(field, "is required")
    if value is not None and len(value) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters")
    return value


def accuracy(value: Any, limit: float) -> float | None:
    """The phone's reported accuracy in metres, or None; 422 naming ``accuracy`` when it is
    not a positive finite number or worse than ``limit``.

    >>> accuracy(35, 500.0), accuracy(None, 500.0)
    (35.0, None)
    >>> accuracy(800, 500.0)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    geo.errors.InvalidInput: accuracy: 800 m is worse than the limit of 500 m
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("accuracy", f"must be a number of metres, got {value!r}")
    if value <= 0:
        raise InvalidInput("accuracy", f"must be positive, got {value}")
    if value > limit:
        raise InvalidInput("accuracy", f"{value:g} m is worse than the limit of {limit:g} m")
    return float(value)


def retry_key(idempotency_key: str | None, client_id: str | None) -> str | None:
    """What makes a retried check-in the same one: the ``Idempotency-Key`` header, else the
    client's id; each must be 1-200 printable characters.

    >>> retry_key("abc", "x"), retry_key(None, "x"), retry_key(None, None)
    ('key:abc', 'client:x', None)
    """
    for name, value, prefix in (
        ("Idempotency-Key", idempotency_key, "key:"),
        ("client_id", client_id, "client:"),
    ):
        if value is None:
            continue
        if not isinstance(value, str) or not 0 < len(value) <= MAX_KEY or not value.isprintable():
            where = "header" if name == "Idempotency-Key" else "body"
            raise InvalidInput(name, f"must be 1-{MAX_KEY} printable characters", where=where)
        return prefix + value
    return None
