"""One action on one case, in one transaction: :func:`apply`.

The caller's transaction holds everything the action writes: the incident row (locked first,
so two actions on one case queue up and the second sees the first's version), the trail entry,
the audit row and the live ``NOTIFY`` (sent by PostgreSQL only on commit). A refusal raises
before anything is written, and a crash anywhere rolls all of it back: the case stays as it
was. The checks run in a fixed order, each with its own status: out of scope or missing (404),
a stale version (412), a role the table never lets take the action (403), a state that does
not allow it (409, naming the state and the caller's allowed actions), a missing or wrong
field (422, naming it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from cases import live
from cases.errors import ActionNotAllowed, StaleVersion
from cases.incidents import events, get_incident
from cases.loop import limits
from cases.loop.sql import query
from cases.loop.table import (
    ACTIONS,
    CARDS,
    EVALUATIONS,
    MAX_DELAY_DAYS,
    STEP_OF,
    TRANSFERS_BEFORE_ESCALATION,
    Action,
    Effect,
    Need,
    allowed_actions,
    next_level,
    state_allows,
    with_loop,
)
from cases.models import IncidentStatus as S
from cases.views import incident_view
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
class State:
    """The columns an action may change, as they are before and after it."""

    status: str
    department_id: int
    level: str
    closed_level: str | None
    card: str
    delay_state: str
    handling_started_at: datetime | None
    hung_since: datetime | None
    step_due_at: datetime | None
    deadline_at: datetime
    transfers: int
    reopened_count: int
    evaluation: str | None


@dataclass(frozen=True)
class Request:
    """An action's checked inputs."""

    reason: str | None
    department_id: int | None
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


def apply(
    conn: Connection, principal: Caller, code: str, action: str, body: dict[str, Any], version: int
) -> dict[str, Any]:
    """Take ``action`` on incident ``code`` based on its ``version``; the incident as
    :func:`view_for` answers it after the action. Runs in the caller's transaction."""
    found = ACTIONS.get(action)
    if found is None:
        raise InvalidInput(
            "action", f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}"
        )
    row = conn.execute(
        query("action_lock"), {"code": code, **principal.scope.params()}
    ).one_or_none()
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
        allowed = allowed_actions(principal.role, case)
        raise ActionNotAllowed(
            f"{action} is not allowed on incident {code} in status {row.status}",
            status=row.status,
            allowed=allowed,
        )
    request = _checked(conn, found, row, body, principal)
    before = _state(row)
    after = _outcome(conn, found, row, before, request)
    _write(conn, found, row, before, after, request, principal)
    incident = with_loop(
        {**incident_view(conn, row.id), "events": events(conn, row.id)}, principal.role, row.now
    )
    live.notify(conn, [_changed(incident, row)])
    return incident


def _changed(incident: dict[str, Any], row: Any) -> dict[str, Any]:
    """The live map's ``changed`` event (:func:`cases.live.changed`) from the answer itself:
    an action never moves a case to another queue area, only (dispatch) to a department."""
    chain = incident["assignment"].get("chain") or []
    now = SimpleNamespace(
        code=incident["code"],
        status=incident["status"],
        micro_grid=next((a["code"] for a in chain if a["level"] == "micro_grid"), None),
        lon=incident["location"]["cgcs2000"]["lon"],
        lat=incident["location"]["cgcs2000"]["lat"],
        queue_area=incident["assignment"]["queue_area"]["code"],
        department=incident["responsible"]["department"]["code"],
        from_queue_area=row.queue_code,
        from_department=row.department_code,
    )
    return live.changed(now)


def _state(row: Any) -> State:
    return State(**{f: getattr(row, f) for f in State.__dataclass_fields__})


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


def _checked(
    conn: Connection, action: Action, row: Any, body: dict[str, Any], principal: Caller
) -> Request:
    """The request's fields the action needs, checked (422 naming the first wrong one)."""
    needs = set(action.needs)
    fail = action.name == "verify" and body.get("approve") is False
    reason = _reason(
        body,
        Need.REASON in needs
        or fail
        or (action.name == "decide_delay" and body.get("approve") is False),
    )
    department_id = None
    if Need.DEPARTMENT in needs or body.get("department_code") is not None:
        department_id = conn.execute(
            query("action_department"), {"code": body.get("department_code")}
        ).scalar_one_or_none()
        if department_id is None:
            raise InvalidInput("department_code", f"no department {body.get('department_code')!r}")
    attachments = _attachments(conn, row.id, body.get("attachments") or [], principal)
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
    level = body.get("level")
    if action.name == "escalate" and level is not None and level != next_level(row.level):
        raise InvalidInput(
            "level", f"a case held at {row.level} goes up to {next_level(row.level)} only"
        )
    return Request(reason, department_id, attachments, point, data)


def _attachments(
    conn: Connection, incident_id: int, ids: Any, principal: Caller
) -> list[dict[str, Any]]:
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise InvalidInput("attachments", "must be a list of attachment ids")
    if not ids:
        return []
    rows = conn.execute(
        query("action_attachments"),
        {"ids": ids, "incident_id": incident_id, "uploaded_by": principal.actor.username},
    ).all()
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise InvalidInput(
            "attachments",
            f"no attachment {missing[0]} uploaded by you for this incident",
        )
    return [{"id": r.id, "sha256": r.sha256, "type": r.media_type, "bytes": r.bytes} for r in rows]


def _outcome(conn: Connection, action: Action, row: Any, state: State, request: Request) -> State:
    """The case after ``action``: its status and what the effects set."""
    now = row.now
    to = action.to
    if Effect.VERIFY in action.effects:
        to = S.CLOSED if request.data["approve"] else S.REWORK
    status = to.value if to is not None else state.status
    new = replace(state, status=status)
    effects = set(action.effects)
    if Effect.START_HANDLING in effects and request.department_id is not None:
        new = replace(new, department_id=request.department_id)
        if state.handling_started_at is None:
            new = replace(
                new,
                handling_started_at=now,
                deadline_at=limits.step_due(conn, row, "handle", now),
            )
    if Effect.COUNT_TRANSFER in effects and state.status == S.RETURNED:
        new = replace(new, transfers=state.transfers + 1)
        above = next_level(state.level)
        if new.transfers >= TRANSFERS_BEFORE_ESCALATION and above is not None:
            new = replace(new, level=above)
    if Effect.HANG in effects:
        new = replace(new, hung_since=now)
    if Effect.RESUME in effects and state.status == S.HUNG and state.hung_since is not None:
        due = limits.resumed_due(conn, state.deadline_at, state.hung_since, now)
        new = replace(new, hung_since=None, deadline_at=due)
    if Effect.RESTART_HANDLING in effects and state.status in (S.REWORK, S.REOPENED):
        new = replace(new, deadline_at=limits.step_due(conn, row, "handle", now))
    if new.status == S.CLOSED:
        new = replace(new, closed_level=state.level)
    if Effect.APPLY_DELAY in effects:
        new = replace(new, delay_state="applied")
    if Effect.DECIDE_DELAY in effects:
        new = _decided(conn, row, new, request.data["approve"])
    if Effect.ESCALATE in effects:
        new = replace(new, level=next_level(state.level) or state.level)
    if Effect.EVALUATE in effects or "evaluation" in request.data:
        new = replace(new, evaluation=request.data["evaluation"])
    if Effect.REOPEN in effects:
        new = replace(new, reopened_count=state.reopened_count + 1, closed_level=None)
    if Effect.CARD in effects:
        new = replace(new, card=request.data["card"])
    return replace(new, step_due_at=_step_due(conn, row, state, new, now))


def _decided(conn: Connection, row: Any, new: State, approve: bool) -> State:
    if not approve:
        return replace(new, delay_state="rejected")
    days = conn.execute(query("action_last_delay"), {"id": row.id}).scalar_one()
    due = limits.delayed_due(conn, new.deadline_at, Decimal(days))
    return replace(new, delay_state="approved", deadline_at=due)


def _step_due(
    conn: Connection, row: Any, state: State, new: State, now: datetime
) -> datetime | None:
    """The deadline of the step the case waits on now: the handling deadline while it is
    handled, a fresh step limit when the status changed, unchanged otherwise."""
    if new.status == S.IN_PROGRESS:
        return new.deadline_at
    if new.status == state.status:
        return state.step_due_at
    step = STEP_OF[S(new.status)]
    if step is None or new.status in (S.REWORK, S.REOPENED):
        return None
    return limits.step_due(conn, row, step, now)


def _write(
    conn: Connection,
    action: Action,
    row: Any,
    before: State,
    after: State,
    request: Request,
    principal: Caller,
) -> None:
    conn.execute(query("action_update"), {"id": row.id, **after.__dict__})
    data = dict(request.data)
    if after.level != before.level:
        data["level"] = {"from": before.level, "to": after.level}
    point = request.point
    conn.execute(
        query("action_event"),
        {
            "id": row.id,
            "at": row.now,
            "actor": principal.actor.username,
            "action": action.name,
            "from_status": before.status,
            "to_status": after.status,
            "from_department": before.department_id,
            "to_department": after.department_id,
            "reason": request.reason,
            "data": json.dumps(data) if data else None,
            "lon": point.lon if point else None,
            "lat": point.lat if point else None,
            "attachments": json.dumps(request.attachments),
            "due_at": before.step_due_at,
            "deadline_at": after.deadline_at,
        },
    )
    audit.record(
        conn,
        principal.actor,
        f"incident.{action.name}",
        "incident",
        row.code,
        before={"status": before.status, "version": row.version},
        after={"status": after.status, "version": row.version + 1},
        reason=request.reason,
    )


def view_for(conn: Connection, principal: Caller, code: str) -> dict[str, Any]:
    """Incident ``code`` as GET answers it, with the actions the caller may take now and the
    deadlines of the step it waits on."""
    incident = get_incident(conn, code, scope=principal.scope)
    return with_loop(incident, principal.role, datetime.now(UTC))
