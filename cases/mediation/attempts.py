"""An attempt on a rung of the ladder, and the climb it may cause (WORKFLOW.md §5.1–5.3).

The checks, in order, each a 422 naming its field and nothing written: the ladder is still
open; ``level`` is the rung the dispute stands on (a fourth village attempt, or a township
attempt while the village has attempts left, is refused: only the rules below move a dispute
up); ``rung`` (when sent) is the next number; ``held_at`` is not in the future nor before
the intake or the previous attempt; the mediators, participants, record, outcome, place and
attachments are well-formed. Then the caller must act on that rung (403).

An unsettled attempt climbs one rung (the closed loop's ``escalate``, in this transaction)
when :func:`cases.mediation.ladder.climb_reason` gives a reason; at the banner it ends the
ladder unsettled. Any other outcome but ``not_settled`` ends the ladder.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from sqlalchemy import Connection

from access import audit
from cases.loop import calendar
from cases.loop.calendar import CHINA
from cases.loop.table import scope_level
from cases.mediation import ladder
from cases.mediation.common import (
    Caller,
    case_for,
    changed,
    choice,
    climb,
    text_field,
    trail,
)
from cases.mediation.sql import query
from cases.mediation.views import view_or_receipt
from geo.errors import Forbidden, InvalidInput
from geo.points import parse_point

MAX_PEOPLE = 20


def clock_start(row: Any, previous: Any | None) -> datetime:
    """Where an attempt's deadline counts from: the previous attempt, else the intake day."""
    if previous is not None:
        return previous.held_at
    return datetime.combine(row.intake_on, time(0), CHINA)


def record_attempt(
    conn: Connection, principal: Caller, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Record one attempt on dispute ``code``'s current rung; the file afterwards."""
    row = case_for(conn, principal, code)
    if row.outcome is not None:
        raise InvalidInput("level", f"the ladder of dispute {code} has ended ({row.outcome})")
    limits = ladder.limits(conn)
    rung = ladder.rung_of(row.level)
    attempts = conn.execute(query("attempts"), {"file_id": row.file_id}).all()
    used = sum(1 for a in attempts if a.level == rung)
    limit = limits[rung]
    level = choice(body, "level", ladder.RUNGS)
    _check_level(level, rung, used, limit)
    number = used + 1
    if body.get("rung") is not None and body["rung"] != number:
        raise InvalidInput("rung", f"the next {rung} attempt is number {number}")
    previous = attempts[-1] if attempts else None
    held_at = _held_at(body, row, previous)
    values = {
        "file_id": row.file_id,
        "level": level,
        "rung": number,
        "held_at": held_at,
        "due_at": calendar.add_working(conn, clock_start(row, previous), limit.amount, limit.unit),
        "mediators": json.dumps(_mediators(body), ensure_ascii=False),
        "participants": json.dumps(_people(body, "participants"), ensure_ascii=False),
        "record": text_field(body, "record", True, 20000),
        "attachments": json.dumps(_attachments(conn, row, body, principal)),
        "outcome": choice(body, "outcome", ladder.OUTCOMES),
        "refused": _flag(body, "refused"),
        "actor": principal.actor.username,
        **_place(body),
    }
    risk = choice(body, "risk", ladder.RISKS, row.risk)
    if level not in ladder.acting_rungs(principal.role, scope_level(principal)):
        raise Forbidden(f"the {principal.role.value} does not mediate on the {level} rung")
    conn.execute(query("attempt_insert"), values)
    late = held_at > values["due_at"]
    trail(
        conn,
        row,
        principal,
        "mediation_attempt",
        f"第{number}次{ladder.RUNG_LABELS[level]}级调解：{ladder.OUTCOME_LABELS[values['outcome']]}",
        {"level": level, "rung": number, "outcome": values["outcome"], "late": late},
    )
    reason = ladder.climb_reason(
        rung, limit, used=number, outcome=values["outcome"], refused=values["refused"],
        late=late, risk=risk,
    )  # fmt: skip
    above = ladder.rung_above(rung)
    if values["outcome"] in ladder.ENDING or (reason is not None and above is None):
        conn.execute(
            query("file_end"), {"id": row.file_id, "outcome": values["outcome"], "at": held_at}
        )
    elif reason is not None and above is not None:
        skip = "red_risk" if risk == "red" else None
        climb(conn, principal, code, above, reason, skip)
        conn.execute(query("file_rung"), {"id": row.file_id, "now": held_at, "risk": risk})
    elif risk != row.risk:
        conn.execute(query("file_rung"), {"id": row.file_id, "now": row.rung_since, "risk": risk})
    audit.record(
        conn,
        principal.actor,
        "mediation.attempt",
        "incident",
        code,
        after={"level": level, "rung": number, "outcome": values["outcome"]},
    )
    changed(conn, row)
    return view_or_receipt(conn, principal, code)


def _check_level(level: str, rung: str, used: int, limit: ladder.Limit) -> None:
    at, wanted = ladder.RUNGS.index(rung), ladder.RUNGS.index(level)
    label = ladder.RUNG_LABELS
    if wanted < at:
        raise InvalidInput(
            "level",
            f"the {level} rung ({label[level]}) is behind this dispute; it is on the {rung} rung",
        )
    if wanted > at:
        left = (limit.max_attempts or 0) - used
        raise InvalidInput(
            "level",
            f"the dispute is on the {rung} rung with {left} of {limit.max_attempts} attempts "
            f"left; it goes to the {level} only when they fail, a party refuses, a deadline "
            "passes or a skip rule applies",
        )
    if limit.max_attempts is not None and used >= limit.max_attempts:
        raise InvalidInput(
            "level", f"the {rung} rung has had its {limit.max_attempts} attempts already"
        )


def _held_at(body: dict[str, Any], row: Any, previous: Any | None) -> datetime:
    held_at = body.get("held_at")
    if not isinstance(held_at, datetime):
        raise InvalidInput("held_at", "is required: when the attempt was held (ISO 8601)")
    if held_at.tzinfo is None:
        held_at = held_at.replace(tzinfo=CHINA)
    if held_at > row.now:
        raise InvalidInput("held_at", f"{held_at.isoformat()} is in the future")
    if held_at < datetime.combine(row.intake_on, time(0), CHINA):
        raise InvalidInput("held_at", "is before the dispute's intake")
    if previous is not None and held_at <= previous.held_at:
        raise InvalidInput("held_at", "must be after the previous attempt")
    return held_at


def _people(body: dict[str, Any], field: str) -> list[str]:
    people = body.get(field) or []
    if not isinstance(people, list) or len(people) > MAX_PEOPLE:
        raise InvalidInput(field, f"must be a list of at most {MAX_PEOPLE} names")
    out = []
    for person in people:
        if not isinstance(person, str) or not person.strip() or len(person) > 100:
            raise InvalidInput(field, "each must be a name of 1–100 characters")
        out.append(person.strip())
    return out


def _mediators(body: dict[str, Any]) -> list[dict[str, str]]:
    mediators = body.get("mediators")
    if not isinstance(mediators, list) or not 1 <= len(mediators) <= MAX_PEOPLE:
        raise InvalidInput("mediators", "at least one mediator ({name, role, committee})")
    out = []
    for m in mediators:
        if not isinstance(m, dict) or not isinstance(m.get("name"), str) or not m["name"].strip():
            raise InvalidInput("mediators", "each needs a name")
        out.append({k: str(m.get(k) or "")[:100] for k in ("name", "role", "committee")})
    return out


def _flag(body: dict[str, Any], field: str) -> bool:
    value = body.get(field, False)
    if not isinstance(value, bool):
        raise InvalidInput(field, "must be true or false")
    return value


def _place(body: dict[str, Any]) -> dict[str, float | None]:
    if body.get("lon") is None and body.get("lat") is None:
        return {"lon": None, "lat": None}
    point = parse_point(body.get("lon"), body.get("lat"), body.get("datum"))
    return {"lon": point.lon, "lat": point.lat}


def _attachments(conn: Connection, row: Any, body: dict[str, Any], principal: Caller) -> list[int]:
    ids = body.get("attachments") or []
    if not isinstance(ids, list) or not all(type(i) is int for i in ids):
        raise InvalidInput("attachments", "must be a list of attachment ids")
    if not ids:
        return []
    found = set(
        conn.execute(
            query("attachment_ids"),
            {"ids": ids, "incident_id": row.id, "uploaded_by": principal.actor.username},
        ).scalars()
    )
    missing = sorted(set(ids) - found)
    if missing:
        raise InvalidInput(
            "attachments", f"no attachment {missing[0]} uploaded by you for this case"
        )
    return sorted(set(ids))
