"""The audit trail: who changed or revealed what, when, with the before and after.

Rows are written in the same transaction as the change they describe, so a change that rolls
back leaves no trace and a trace never lacks its change. A trigger (migration 0004) refuses
UPDATE, DELETE and TRUNCATE on ``audit_log`` for every role, the service's included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, DateTime, Identity, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from access.sql import query
from geo.models import Base


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(Text)
    before: Mapped[Any | None] = mapped_column(JSONB)
    after: Mapped[Any | None] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account's name and role, and where the request came from."""

    username: str
    role: str
    client: str | None = None


#: Loaders, migrations and background jobs.
SYSTEM = Actor("system", "system")


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int | None,
    *,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> None:
    """Append one entry, inside the caller's transaction."""
    conn.execute(
        text(
            "INSERT INTO audit_log (actor, role, action, object_type, object_id, before, after, "
            "reason, client) VALUES (:actor, :role, :action, :type, :id, "
            "CAST(:before AS jsonb), CAST(:after AS jsonb), :reason, :client)"
        ),
        values(actor, action, object_type, object_id, before=before, after=after, reason=reason),
    )


def values(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int | None,
    *,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The bind parameters of one entry (``actor``, ``role``, ``action``, ``type``, ``id``,
    ``before``, ``after``, ``reason``, ``client``), for a statement that writes it along with
    the change it describes (:func:`record` is that statement alone)."""
    return {
        "actor": actor.username,
        "role": actor.role,
        "action": action,
        "type": object_type,
        "id": None if object_id is None else str(object_id),
        "before": _json(before),
        "after": _json(after),
        "reason": reason,
        "client": actor.client,
    }


def recent(conn: Connection, actor: str, action: str, seconds: int) -> tuple[int, float]:
    """How many ``action`` entries ``actor`` made in the last ``seconds``, and in how many
    seconds the oldest of them leaves that window (0 if none).

    A limit counted here holds across restarts and workers. It first takes a transaction
    lock on (actor, action): concurrent callers that count and then :func:`record` in one
    transaction take turns, so two of them never both see the last free place."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"{action}:{actor}"})
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(extract(epoch FROM min(at) - clock_timestamp()), 0) "
            "FROM audit_log WHERE actor = :actor AND action = :action "
            "AND at > clock_timestamp() - make_interval(secs => :seconds)"
        ),
        {"actor": actor, "action": action, "seconds": seconds},
    ).one()
    return int(row[0]), max(0.0, float(row[1]) + seconds)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AuditPage:
    """Entries newest first (as mappings of ``audit_log``'s columns) and, when older ones
    remain, the id to pass as ``before`` for the next page."""

    entries: list[dict[str, Any]]
    next_before: int | None


def entries(
    conn: Connection,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """One page of the trail, newest first: the entries matching every filter given and
    older than the entry ``before``."""
    rows = conn.execute(
        query("audit_entries"),
        {
            "type": object_type,
            "oid": object_id,
            "actor": actor,
            "action": action,
            "before": before,
            "limit": limit + 1,
        },
    ).all()
    found = [dict(r._mapping) for r in rows[:limit]]
    return AuditPage(found, found[-1]["id"] if len(rows) > limit else None)
