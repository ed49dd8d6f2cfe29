"""What every step of the ladder shares: the dispute locked with its file and checked
(:func:`case_for`: out of scope, not a dispute, not readable by the caller, all 404), the
fields' checks (422 naming the field), the trail entry and live event of a step, and the climb
through the closed loop's ``escalate`` (:func:`climb`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from cases import live
from cases.loop import actions
from cases.loop.table import LEVELS, scope_level
from cases.mediation import ladder
from cases.mediation.sql import query
from geo.errors import InvalidInput, NotFound
from geo.scope import Scope

CHINA_OFFSET = timedelta(hours=8)


class Caller(Protocol):
    @property
    def role(self) -> Role: ...
    @property
    def scope(self) -> Scope: ...
    @property
    def actor(self) -> audit.Actor: ...


def china_day(at: datetime) -> date:
    """The date in China time (UTC+8) of ``at``."""
    return (at.astimezone(UTC) + CHINA_OFFSET).date()


def case_for(
    conn: Connection, principal: Caller, code: str, *, need_file: bool = True, read: bool = True
) -> Any:
    """The dispute ``code`` locked with its file's columns; 404 when it is out of scope,
    not a dispute, not readable by the caller (§5.7) or (``need_file``) has no file."""
    row = conn.execute(query("case_file"), {"code": code, **principal.scope.params()}).one_or_none()
    if row is None or not row.category_code.startswith("01"):
        raise NotFound(f"no dispute {code}")
    if read and not ladder.may_read(
        principal.role, scope_level(principal), row.category_code, row.level
    ):
        raise NotFound(f"no dispute {code}")
    if need_file and row.file_id is None:
        raise NotFound(f"dispute {code} has no mediation file")
    return row


def past_or_today(value: date | None, field: str, today: date) -> date | None:
    if value is not None and value > today:
        raise InvalidInput(field, f"{value.isoformat()} is in the future")
    return value


def text_field(body: dict[str, Any], field: str, required: bool, limit: int = 4000) -> str | None:
    value = body.get(field)
    value = value.strip() if isinstance(value, str) else value
    if value in (None, ""):
        if required:
            raise InvalidInput(field, "is required")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(field, f"must be text of at most {limit} characters")
    return value


def choice(
    body: dict[str, Any], field: str, choices: tuple[str, ...], default: str | None = None
) -> str:
    value = body.get(field, default)
    if value not in choices:
        raise InvalidInput(field, f"must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def trail(
    conn: Connection, row: Any, principal: Caller, action: str, reason: str, data: dict[str, Any]
) -> None:
    """A ladder step as an entry of the case's trail, and the live ``changed`` event."""
    conn.execute(
        query("trail_entry"),
        {
            "incident_id": row.id,
            "at": row.now,
            "actor": principal.actor.username,
            "action": action,
            "reason": reason,
            "data": json.dumps(data, ensure_ascii=False),
        },
    )


def changed(conn: Connection, row: Any) -> None:
    live.notify_changed(conn, [row.id], [row.queue_area_id], [row.department_id])


def climb(
    conn: Connection,
    principal: Caller,
    code: str,
    target: str,
    reason: str,
    skip_reason: str | None = None,
) -> str:
    """Escalate case ``code`` until it is held at ``target``, through the closed loop's
    ``escalate`` (:func:`cases.loop.actions.apply`): one level at a time, or with a skip rule
    (``skip_reason``) straight to ``target`` in one step; the level it ends at."""
    row = conn.execute(query("case_file"), {"code": code, **principal.scope.params()}).one()
    level, version = row.level, row.version
    while LEVELS.index(level) < LEVELS.index(target):
        up = target if skip_reason is not None else LEVELS[LEVELS.index(level) + 1]
        body: dict[str, Any] = {"reason": reason, "level": up}
        if skip_reason is not None:
            body["skip_reason"] = skip_reason
        incident = actions.apply(conn, principal, code, "escalate", body, version)
        level, version = incident["level"], incident["version"]
    return str(level)
