"""One action on one case, in one transaction: :func:`apply`.

The caller's transaction holds everything the action writes: the incident row (locked first,
so two actions on one case queue up and the second sees the first's version), the trail entry,
the audit row and the live ``NOTIFY`` (sent by PostgreSQL only on commit). A refusal raises
before anything is written, and a crash anywhere rolls all of it back: the case stays as it
was. The checks run in a fixed order, each with its own status: out of scope or missing (404),
a stale version (412), a role the table never lets take the action (403), a state that does
not allow it (409, naming the state and the caller's allowed actions), a level that the
caller does not hold (403, naming who does), a missing or wrong field (422, naming it).

Two round trips make an action: the lock, sent with the transaction's ``BEGIN`` (it also
reads the case's time limits and the stamp of the working calendar, kept in-process per
stamp), then the writes (one statement: the update, the trail entry, the audit row, the
``NOTIFY``) sent together with the answer (one statement: the incident, its area chain and
its trail, read after the writes) and, in the API's own transaction (:func:`apply_now`), the
``COMMIT``, all in psycopg's pipeline mode (:func:`geo.db.pipelined`,
:func:`geo.db.pipelined_now`). An action's outcome is
:func:`cases.loop.replay.advance`'s, the function the sample's replay uses too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from psycopg import AsyncConnection, pq
from sqlalchemy import Connection, text

from access import audit
from access.accounts import Role
from cases import live
from cases.errors import ActionNotAllowed, StaleVersion
from cases.incidents import answer_of, answer_statement, get_incident
from cases.loop import calendar, escalation
from cases.loop.calendar import Calendar
from cases.loop.limits import Limit
from cases.loop.replay import Case, State, advance
from cases.loop.sql import query
from cases.loop.table import (
    ACTIONS,
    CARDS,
    EVALUATIONS,
    MAX_DELAY_DAYS,
    Action,
    Effect,
    Need,
    allowed_actions,
    holders_of,
    state_allows,
    with_loop,
)
from cases.models import IncidentStatus as S
from geo.db import Reads, Statement, pipelined, pipelined_now
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.points import StoragePoint, parse_point
from geo.scope import Scope

MAX_REASON = 2000


class Caller(Protocol):
    """Who acts (``api.auth.Principal`` is one)."""

    @property
    def role(self) -> Role: ...
    @property
    def scope(self) -> Scope: ...
    @property
    def actor(self) -> audit.Actor: ...


@dataclass(frozen=True)
class Request:
    """An action's checked inputs."""

    reason: str | None
    department_id: int | None
    #: The code of ``department_id``.
    department: str | None
    attachments: list[dict[str, Any]]
    point: StoragePoint | None
    data: dict[str, Any]


def _case(row: Any) -> dict[str, Any]:
    return {
        "status": row.status,
        "delay_state": row.delay_state,
        "reopened_count": row.reopened_count,
        "level": row.level,
        "sensitive": row.sensitive,
        "evaluation": row.evaluation,
    }


@dataclass(frozen=True)
class RowClock:
    """The :class:`~cases.loop.replay.LoopClock` of one case in :func:`apply`: its resolved
    limits per step (read with the lock) on the database's working calendar."""

    calendar: Calendar
    limits: dict[str, Limit]

    def due(self, case: Case, step: str, start: datetime) -> datetime:
        limit = self.limits.get(step)
        if limit is None:
            raise NotFound(f"no time limit for step {step} (urgent: {case.urgent})")
        return self.calendar.add(start, limit.amount, limit.unit)

    def resumed(self, due_at: datetime, hung_since: datetime, now: datetime) -> datetime:
        return self.calendar.resumed(due_at, hung_since, now)

    def delayed(self, due_at: datetime, days: Decimal) -> datetime:
        return self.calendar.add(due_at, days, "work_days")


def _clock(database: str, row: Any) -> Reads[RowClock]:
    def number(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    limits = {
        step: Limit(Decimal(amount), unit, number(yellow), number(red))
        for step, (amount, unit, yellow, red) in (row.limits or {}).items()
    }
    kept = calendar.kept(database, row.calendar_stamp)
    if kept is None:
        [days] = yield ((query("work_days_all"), {}),)
        kept = calendar.keep(database, row.calendar_stamp, calendar.of_rows(days))
    return RowClock(kept, limits)


@dataclass(frozen=True)
class Writes:
    """What an action writes, as the last round trip of :func:`steps` (the only one that
    writes: the ones before only read), and how its rows become the answer."""

    statements: tuple[Statement, ...]
    answer: Callable[[list[list[Any]]], dict[str, Any]]


def apply(
    conn: Connection,
    principal: Caller,
    code: str,
    action: str,
    body: dict[str, Any],
    version: int,
) -> dict[str, Any]:
    """Take ``action`` on incident ``code`` based on its ``version``; the incident as
    :func:`view_for` answers it after the action. Runs in the caller's transaction (the
    mediation ladder escalates inside its own; the API uses :func:`apply_now`)."""
    work = steps(principal, code, action, body, version, conn.engine.url.render_as_string())
    try:
        asked = next(work)
        while True:
            asked = work.send(pipelined(conn, *asked))
    except StopIteration as done:
        writes: Writes = done.value
    return writes.answer(pipelined(conn, *writes.statements))


#: Sent just before the answer, the transaction's last statement: its generic plan. The
#: answer reads a case by its partition key, so its generic plan prunes to that partition at
#: the executor's start (0.61 ms at 10,000,000 cases); but PostgreSQL prices a generic plan
#: over every partition, finds it dearer than a custom plan and so plans the statement anew
#: at each run (2.2 ms). The other statements are left to the plan cache, which already keeps
#: their generic plans (bench/notes.md, P11).
GENERIC_PLAN: Statement = (
    text("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"),
    {},
)


async def apply_now(
    conn: AsyncConnection[Any],
    principal: Caller,
    code: str,
    action: str,
    body: dict[str, Any],
    version: int,
    database: str,
) -> dict[str, Any]:
    """:func:`apply` in a transaction of its own on ``conn``, an autocommit connection of the
    event loop's pool (:func:`geo.db.make_read_pool`; ``database``: the URL its calendar is
    kept under), with no worker thread and no SQLAlchemy: the ``BEGIN`` goes with the lock,
    the ``COMMIT`` with the writes. A refusal ends the transaction, in which nothing was
    written yet, with ``COMMIT`` too: a ``ROLLBACK`` would make psycopg drop the statements
    the connection has prepared."""
    work = steps(principal, code, action, body, version, database)
    begin = True
    try:
        try:
            asked = next(work)
            while True:
                rows = await pipelined_now(conn, *asked, begin=begin)
                begin = False
                asked = work.send(rows)
        except StopIteration as done:
            writes: Writes = done.value
        *written, answer = writes.statements
        rows = await pipelined_now(conn, *written, GENERIC_PLAN, answer, begin=begin, commit=True)
        return writes.answer([*rows[: len(written)], rows[-1]])
    finally:
        await _end(conn)


async def _end(conn: AsyncConnection[Any]) -> None:
    """End what :func:`apply_now` left open: after a refusal, the transaction that only read
    (``COMMIT``: nothing to undo, and the prepared statements stay); after a database error,
    the failed one (``ROLLBACK``)."""
    status = conn.pgconn.transaction_status
    if status == pq.TransactionStatus.INTRANS:
        await conn.execute("COMMIT", prepare=False)
    elif status == pq.TransactionStatus.INERROR:
        await conn.rollback()


def steps(
    principal: Caller, code: str, action: str, body: dict[str, Any], version: int, database: str
) -> Reads[Writes]:
    """An action without I/O (:data:`geo.db.Reads`): the reads it asks for one round trip at
    a time, the first of them the lock, then its :class:`Writes`. Refusals raise before the
    writes."""
    found = ACTIONS.get(action)
    if found is None:
        raise InvalidInput(
            "action", f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}"
        )
    [locked] = yield ((query("action_lock"), {"code": code, **principal.scope.params()}),)
    row = locked[0] if locked else None
    if row is None:
        raise NotFound(f"incident {code} does not exist")
    if row.version != version:
        raise StaleVersion(
            f"incident {code} is at version {row.version}, not {version}", version=row.version
        )
    if principal.role not in found.roles:
        raise Forbidden(f"the role {principal.role.value} may not {action}")
    case = _case(row)
    if not state_allows(found, case):
        raise ActionNotAllowed(
            f"{action} is not allowed on incident {code} in status {row.status}",
            status=row.status,
            allowed=allowed_actions(principal, case),
        )
    if action not in allowed_actions(principal, case):
        raise Forbidden(
            f"incident {code} is held at {row.level}: only {holders_of(row.level)} act on it"
        )
    request = yield from _checked(found, row, body, principal)
    before = yield from _state(found, row)
    clock = yield from _clock(database, row)
    after = advance(found, _loop_case(row), before, row.now, request.data, clock)
    department = request.department if Effect.START_HANDLING in found.effects else None
    written = _write(found, row, before, after, request, department, principal)
    return Writes(
        (written, answer_statement(row.id, row.reported_at)),
        lambda rows: with_loop(answer_of(rows[1]), principal, row.now),
    )


def _loop_case(row: Any) -> Case:
    return Case(row.category_code, row.urgent, row.sensitive, row.reported_at, row.deadline_at)


def _state(action: Action, row: Any) -> Reads[State]:
    """The case's columns an action may change, as the lock read them (and for a delay to
    decide, the days its application asked for)."""
    days = None
    if Effect.DECIDE_DELAY in action.effects:
        [asked] = yield ((query("action_last_delay"), {"id": row.id}),)
        days = int(asked[0][0])
    names = [f.name for f in fields(State) if f.name not in ("version", "delay_days")]
    return State(**{n: getattr(row, n) for n in names}, version=row.version, delay_days=days)


def _changed(row: Any, after: State, department: str) -> dict[str, Any]:
    """The live map's ``changed`` event (:func:`cases.live.changed`): an action never moves a
    case to another queue area, only (dispatch) to a department."""
    return {
        "kind": live.Event.CHANGED.value,
        "code": row.code,
        "status": after.status,
        "micro_grid": row.micro_grid_code,
        "lon": round(row.lon, 9),
        "lat": round(row.lat, 9),
        "queue_area": row.queue_code,
        "department": department,
        "from_queue_area": row.queue_code,
        "from_department": row.department_code,
    }


def _reason(body: dict[str, Any], required: bool) -> str | None:
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("reason", "must be text")
    reason = (reason or "").strip() or None
    if required and reason is None:
        raise InvalidInput("reason", "is required for this action")
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidInput("reason", f"must be at most {MAX_REASON} characters")
    return reason


def _choice(body: dict[str, Any], field: str, choices: tuple[str, ...]) -> str:
    value = body.get(field)
    if value not in choices:
        raise InvalidInput(field, f"must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _checked(action: Action, row: Any, body: dict[str, Any], principal: Caller) -> Reads[Request]:
    """The request's fields the action needs, checked (422 naming the first wrong one)."""
    needs = set(action.needs)
    fail = action.name == "verify" and body.get("approve") is False
    reason = _reason(
        body,
        Need.REASON in needs
        or fail
        or (action.name == "decide_delay" and body.get("approve") is False),
    )
    department_id, department = None, None
    if Need.DEPARTMENT in needs or body.get("department_code") is not None:
        [found] = yield ((query("action_department"), {"code": body.get("department_code")}),)
        department_id = found[0][0] if found else None
        if department_id is None:
            raise InvalidInput("department_code", f"no department {body.get('department_code')!r}")
        department = str(body["department_code"])
    attachments = yield from _attachments(row.id, body.get("attachments") or [], principal)
    if Need.PHOTOS in needs and not attachments:
        raise InvalidInput("attachments", "at least one photo is required for this action")
    point = None
    if Need.LOCATION in needs or body.get("lon") is not None or body.get("lat") is not None:
        point = parse_point(body.get("lon"), body.get("lat"), body.get("datum"))
    data: dict[str, Any] = {}
    if Need.EVALUATION in needs or (action.name == "reopen" and row.status == S.CLOSED):
        data["evaluation"] = _choice(body, "evaluation", EVALUATIONS)
        if action.name == "reopen" and data["evaluation"] != "dissatisfied":
            raise InvalidInput("evaluation", "only a dissatisfied evaluation reopens a case")
    if Need.DELAY_DAYS in needs:
        days = body.get("delay_days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DELAY_DAYS:
            raise InvalidInput("delay_days", f"must be a whole number from 1 to {MAX_DELAY_DAYS}")
        data["delay_days"] = days
    if Need.APPROVE in needs:
        if not isinstance(body.get("approve"), bool):
            raise InvalidInput("approve", "must be true or false")
        data["approve"] = body["approve"]
    if Need.CARD in needs:
        data["card"] = _choice(body, "card", CARDS)
    if Effect.ESCALATE in action.effects:
        data |= yield from escalation.target(row, body)
    return Request(reason, department_id, department, attachments, point, data)


def _attachments(incident_id: int, ids: Any, principal: Caller) -> Reads[list[dict[str, Any]]]:
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise InvalidInput("attachments", "must be a list of attachment ids")
    if not ids:
        return []
    [rows] = yield (
        (
            query("action_attachments"),
            {"ids": ids, "incident_id": incident_id, "uploaded_by": principal.actor.username},
        ),
    )
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise InvalidInput(
            "attachments",
            f"no attachment {missing[0]} uploaded by you for this incident",
        )
    return [{"id": r.id, "sha256": r.sha256, "type": r.media_type, "bytes": r.bytes} for r in rows]


def _write(
    action: Action,
    row: Any,
    before: State,
    after: State,
    request: Request,
    department: str | None,
    principal: Caller,
) -> Statement:
    """The update, the trail entry, the audit row and the live event: one statement and its
    parameters."""
    data = dict(request.data)
    if after.level != before.level:
        data["level"] = {"from": before.level, "to": after.level}
    point, actor = request.point, principal.actor
    moved = department is not None
    to_department = request.department_id if moved else row.department_id
    columns = {
        f.name: getattr(after, f.name)
        for f in fields(State)
        if f.name not in ("version", "delay_days")
    }
    return (
        query("action_write"),
        {
            **columns,
            "id": row.id,
            "reported_at": row.reported_at,
            "code": row.code,
            "department_id": to_department,
            "at": row.now,
            "actor": actor.username,
            "role": actor.role,
            "client": actor.client,
            "action": action.name,
            "audit_action": f"incident.{action.name}",
            "from_status": before.status,
            "to_status": after.status,
            "from_department": row.department_id,
            "to_department": to_department,
            "reason": request.reason,
            "data": json.dumps(data) if data else None,
            "lon": point.lon if point else None,
            "lat": point.lat if point else None,
            "attachments": json.dumps(request.attachments),
            "before": json.dumps({"status": before.status, "version": row.version}),
            "after": json.dumps({"status": after.status, "version": row.version + 1}),
            "channel": live.CHANNEL,
            "payload": live.payload(_changed(row, after, department or row.department_code)),
            "due_at": before.step_due_at,  # the handling deadline after it is :deadline_at
        },
    )


def view_for(conn: Connection, principal: Caller, code: str) -> dict[str, Any]:
    """Incident ``code`` as GET answers it, with the actions the caller may take now and the
    deadlines of the step it waits on."""
    incident = get_incident(conn, code, scope=principal.scope)
    return with_loop(incident, principal, datetime.now(UTC))
