"""What every co-building write shares: who may write, the village it belongs to, the China
date, the audit entry. Reads and writes are scoped by village code prefix, so a record of a
village outside the caller's scope is indistinguishable from a missing one (404)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from cases.cobuild.sql import query
from cases.codes import TIMEZONE
from geo.areas import current_generation
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.scope import Scope


class Principal(Protocol):
    """Who reads or writes (``api.auth.Principal`` is one)."""

    @property
    def role(self) -> Role: ...
    @property
    def role_label(self) -> str: ...
    @property
    def scope(self) -> Scope: ...
    @property
    def actor(self) -> audit.Actor: ...


#: Roles that keep the books: a village secretary is a township account held at its village.
BOOKKEEPERS = frozenset({Role.ADMIN, Role.TOWNSHIP})


def today() -> date:
    """Today in China time."""
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def china_date(at: datetime) -> date:
    return at.astimezone(ZoneInfo(TIMEZONE)).date()


def may_write(principal: Principal) -> None:
    """Only bookkeepers post money (403 for every other role, wherever)."""
    if principal.role not in BOOKKEEPERS:
        raise Forbidden(f"{principal.role_label} ({principal.role.value}) may not keep the books")


def village(conn: Connection, scope: Scope, code: str, field: str = "village") -> dict[str, Any]:
    """The live village ``code`` inside ``scope`` (code, name, township_code, township_name);
    422 naming ``field`` when there is none (outside the scope looks the same)."""
    params = {"code": code, "g": current_generation(conn), **scope.params()}
    row = conn.execute(query("village"), params).mappings().first()
    if row is None:
        raise InvalidInput(field, f"no village {code[:32]!r} in your area")
    return dict(row)


def not_after_today(value: date, field: str) -> date:
    """Money is booked on a day that has come (China time); 422 naming ``field`` otherwise."""
    if value > today():
        raise InvalidInput(field, f"{value.isoformat()} is in the future")
    return value


def found(row: Any, what: str, ident: int) -> Any:
    """``row``, or 404 naming what was looked for."""
    if row is None:
        raise NotFound(f"no {what} {ident}")
    return row


def record(
    conn: Connection,
    principal: Principal,
    action: str,
    table: str,
    ident: int,
    after: dict[str, Any],
    reason: str | None = None,
) -> None:
    """The audit entry of a co-building write (names masked by the caller)."""
    audit.record(conn, principal.actor, action, table, ident, after=jsonable(after), reason=reason)


def jsonable(value: Any) -> Any:
    """Decimals as exact strings, dates as ISO text: what JSON and the audit log hold."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
