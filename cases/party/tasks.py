"""Community tasks: publish, list, claim, confirm (see the package docstring).

A claim and a confirmation lock the task row first (``task_lock.sql``), so two members
claiming at once are decided one after the other: the second reads the first's claim and is
answered 409. A task the caller may not see answers 404, as a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from access.accounts import Role
from cases.party.errors import PartyConflict
from cases.party.members import Caller, area, member_of
from cases.party.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.privacy import mask_name, mask_text

#: Who publishes and confirms tasks: the community's staff and the administrator.
STAFF = frozenset({Role.GRID_WORKER, Role.TOWNSHIP, Role.ADMIN})
STATES = ("open", "claimed", "completed", "no_show")
OUTCOMES = ("completed", "no_show")
MAX_TITLE = 100
MAX_DESCRIPTION = 2000


def _staff(caller: Caller) -> None:
    if caller.role not in STAFF:
        raise Forbidden("only community staff (grid workers, township officers) manage tasks")


def _text(value: str, field: str, longest: int, *, required: bool) -> str:
    value = value.strip()
    if (required and not value) or len(value) > longest:
        raise InvalidInput(field, f"{1 if required else 0}–{longest} characters")
    return value


def publish(
    conn: Connection,
    caller: Caller,
    *,
    community: str,
    title: str,
    description: str = "",
    starts_at: datetime | None = None,
) -> dict[str, Any]:
    """A new open task of ``community`` (a village code the caller's scope sees)."""
    _staff(caller)
    title = _text(title, "title", MAX_TITLE, required=True)
    description = _text(description, "description", MAX_DESCRIPTION, required=False)
    if starts_at is not None and starts_at.utcoffset() is None:
        raise InvalidInput("starts_at", "must carry a UTC offset, e.g. 2026-09-01T09:00:00+08:00")
    village = area(conn, community, "village", "community")
    if not caller.scope.sees(village.code):
        raise NotFound(f"community: no current village {community!r}")
    params = {
        "community_id": village.id,
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "created_by": caller.actor.username,
    }
    task_id = conn.execute(query("task_insert"), params).scalar_one()
    return task(conn, caller, task_id)


def _view(row: Any) -> dict[str, Any]:
    claimed = None
    if row.claimed_by is not None:
        claimed = {
            "member": {"id": row.claimed_by, "name": mask_name(row.claimed_by_name)},
            "at": row.claimed_at.isoformat(),
        }
    return {
        "id": row.id,
        "community": {"code": row.community_code, "name": row.community_name},
        "title": mask_text(row.title),
        "description": mask_text(row.description),
        "starts_at": row.starts_at.isoformat() if row.starts_at else None,
        "created_at": row.created_at.isoformat(),
        "state": row.state,
        "claim": claimed,
        "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
    }


def tasks(
    conn: Connection,
    caller: Caller,
    *,
    community: str | None = None,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
    task_id: int | None = None,
) -> list[dict[str, Any]]:
    """The tasks the caller may see, newest first."""
    if state is not None and state not in STATES:
        raise InvalidInput("state", f"unknown state {state!r}; expected {', '.join(STATES)}")
    params = {"id": task_id, "community": community, "state": state}
    rows = conn.execute(
        query("tasks"), {**caller.scope.params(), **params, "limit": limit, "offset": offset}
    ).all()
    return [_view(r) for r in rows]


def task(conn: Connection, caller: Caller, task_id: int) -> dict[str, Any]:
    found = tasks(conn, caller, task_id=task_id, limit=1)
    if not found:
        raise NotFound(f"task {task_id} does not exist")
    return found[0]


def _locked(conn: Connection, caller: Caller, task_id: int) -> Any:
    row = conn.execute(query("task_lock"), {**caller.scope.params(), "id": task_id}).one_or_none()
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    return row


def claim(conn: Connection, caller: Caller, task_id: int) -> dict[str, Any]:
    """The caller (a registered party member of the task's community) claims the task."""
    member = member_of(conn, caller)
    row = _locked(conn, caller, task_id)
    if member.registration_id is None:
        raise PartyConflict("report in (在线报到) before claiming a task", state="unregistered")
    if row.claim_id is not None:
        raise PartyConflict(f"task {task_id} is claimed already", state="claimed")
    conn.execute(query("claim_insert"), {"task_id": task_id, "member_id": member.id})
    return task(conn, caller, task_id)


def confirm(conn: Connection, caller: Caller, task_id: int, outcome: str) -> dict[str, Any]:
    """Community staff confirm a claimed task: ``completed`` or ``no_show``, once."""
    _staff(caller)
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", f"expected {' or '.join(OUTCOMES)}, got {outcome!r}")
    row = _locked(conn, caller, task_id)
    if row.claim_id is None:
        raise PartyConflict(f"task {task_id} has not been claimed", state="open")
    if row.confirmation_id is not None:
        raise PartyConflict(f"task {task_id} is confirmed already", state="confirmed")
    params = {"claim_id": row.claim_id, "outcome": outcome, "confirmed_by": caller.actor.username}
    conn.execute(query("confirmation_insert"), params)
    return task(conn, caller, task_id)
