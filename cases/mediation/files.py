"""The mediation file (卷宗, WORKFLOW.md §5.4–5.5): intake, parties, agreement, judicial
confirmation and follow-up calls, and the file as a reader gets it.

Every write runs in the caller's transaction after the case is locked and checked (in scope,
a dispute, readable by the caller, the ladder in the right state) and each field checked; a
refusal raises before anything is written. Each write is audited (``mediation.*``) and, when
it changes the ladder, an entry of the case's trail (kind ``mediation``, no personal data).
Names, phones and ID numbers leave masked (:mod:`geo.privacy`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from cases import live
from cases.incidents import member_exists
from cases.loop import actions
from cases.loop.calendar import CHINA
from cases.loop.table import LEVELS, scope_level
from cases.mediation import ladder
from cases.mediation.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.privacy import mask_id_number, mask_name, mask_phone, mask_text
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


def open_file(
    conn: Connection, principal: Caller, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Intake: open the file of dispute ``code`` and lift the case to the village (or, by a
    skip rule, the township at once); the file as :func:`view` answers it."""
    row = case_for(conn, principal, code, need_file=False)
    if row.file_id is not None:
        raise InvalidInput("code", f"dispute {code} already has a mediation file", where="path")
    if principal.role not in (
        Role.ADMIN,
        Role.COMMAND,
        Role.GRID_WORKER,
        Role.MEDIATOR,
        Role.TOWNSHIP,
    ):
        raise Forbidden(f"the role {principal.role.value} may not open a mediation file")
    today = china_day(row.now)
    intake_on = past_or_today(body.get("intake_on") or today, "intake_on", today)
    notified = bool(body.get("rights_notified"))
    notified_on = past_or_today(body.get("rights_notified_on"), "rights_notified_on", today)
    if notified and notified_on is None:
        notified_on = today
    if notified_on is not None and not notified:
        raise InvalidInput("rights_notified", "must be true when rights_notified_on is given")
    values = {
        "incident_id": row.id,
        "intake_on": intake_on,
        "dispute_type": body.get("dispute_type") or row.category_code,
        "source": choice(body, "source", ladder.SOURCES),
        "summary": text_field(body, "summary", True),
        "rights_notified": notified,
        "rights_notified_on": notified_on,
        "risk": choice(body, "risk", ladder.RISKS, "green"),
        "now": row.now,
        "actor": principal.actor.username,
    }
    if values["dispute_type"] != row.category_code and not str(values["dispute_type"]).startswith(
        "01"
    ):
        raise InvalidInput("dispute_type", "must be a dispute category code (01…)")
    file_id = conn.execute(query("file_insert"), values).scalar_one()
    skip = "red_risk" if values["risk"] == "red" else None
    target = ladder.rung_of(row.level)
    if skip is not None:
        target = ladder.rung_above(target) or target
    climb(conn, principal, code, target, "移交人民调解（三二一调解）", skip)
    trail(
        conn,
        row,
        principal,
        "mediation_intake",
        "受理人民调解",
        {"level": target, "skip_reason": skip},
    )
    audit.record(
        conn,
        principal.actor,
        "mediation.intake",
        "incident",
        code,
        after={"file": file_id, "risk": values["risk"]},
    )
    changed(conn, row)
    return view_or_receipt(conn, principal, code)


def view_or_receipt(conn: Connection, principal: Caller, code: str) -> dict[str, Any]:
    """The file, or only where it stands when the step handed it to a level the caller no
    longer reads it at (a grid worker lifting a family dispute to the village)."""
    row = case_for(conn, principal, code, read=False)
    if ladder.may_read(principal.role, scope_level(principal), row.category_code, row.level):
        return view(conn, principal, code)
    return {"code": code, "level": row.level, "rung": ladder.rung_of(row.level), "receipt": True}


def add_party(
    conn: Connection, principal: Caller, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A party of the dispute: a registry member (``member_id``) or free text (``name``);
    a unit the village cannot bind lifts a dispute on the village rung to the township."""
    row = case_for(conn, principal, code)
    side = choice(body, "side", ("applicant", "respondent", "third_party"))
    kind = choice(body, "kind", ("person", "unit"), "person")
    member_id = body.get("member_id")
    if member_id is not None:
        try:
            member_exists(conn, member_id, scope=principal.scope)
        except NotFound:
            raise InvalidInput("member_id", f"no member {member_id} in your area") from None
    name = text_field(body, "name", member_id is None, 200)
    phone = text_field(body, "phone", False, 20)
    if phone is not None and not phone.replace("-", "").isdigit():
        raise InvalidInput("phone", "must be digits")
    values = {
        "file_id": row.file_id,
        "side": side,
        "kind": kind,
        "member_id": member_id,
        "name": name,
        "phone": phone,
        "id_number": text_field(body, "id_number", False, 18),
        "agent": text_field(body, "agent", False, 200),
    }
    added = conn.execute(query("party_insert"), values).one()
    audit.record(
        conn,
        principal.actor,
        "mediation.party",
        "incident",
        code,
        after={"party": added.id, "side": side},
    )
    if kind == "unit" and row.outcome is None and ladder.rung_of(row.level) == "village":
        climb(
            conn, principal, code, "township", "当事人为村级无法约束的单位，提级调解", "unit_party"
        )
        conn.execute(query("file_rung"), {"id": row.file_id, "now": row.now, "risk": row.risk})
        trail(
            conn,
            row,
            principal,
            "mediation_skip",
            "当事人为单位，越级至镇",
            {"level": "township", "skip_reason": "unit_party"},
        )
        changed(conn, row)
    return view_or_receipt(conn, principal, code)


def record_agreement(
    conn: Connection, principal: Caller, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The agreement (written with its terms, or oral with its content) reached at the
    file's settling attempt; judicial confirmation falls due 30 days after it takes effect."""
    row = case_for(conn, principal, code)
    attempts = conn.execute(query("attempts"), {"file_id": row.file_id}).all()
    agreed = [a for a in attempts if a.outcome in ladder.AGREED]
    if not agreed:
        raise InvalidInput("outcome", "no attempt of this dispute was settled; no agreement")
    if conn.execute(query("agreement"), {"file_id": row.file_id}).first() is not None:
        raise InvalidInput("form", f"dispute {code} already has its agreement")
    today = china_day(row.now)
    form = choice(body, "form", ("written", "oral"))
    attempt = agreed[-1]
    effective = body.get("effective_on") or china_day(attempt.held_at)
    past_or_today(effective, "effective_on", today)
    if effective < china_day(attempt.held_at):
        raise InvalidInput("effective_on", "cannot be before the settling attempt")
    if form == "oral" and effective != china_day(attempt.held_at):
        raise InvalidInput("effective_on", "an oral agreement takes effect the day it is made")
    values = {
        "file_id": row.file_id,
        "attempt_id": attempt.id,
        "form": form,
        "terms": text_field(body, "terms", True),
        "effective_on": effective,
        "confirmation_due": effective + timedelta(days=ladder.CONFIRMATION_DAYS),
        "actor": principal.actor.username,
    }
    conn.execute(query("agreement_insert"), values)
    trail(conn, row, principal, "mediation_agreement", "达成调解协议", {"form": form})
    audit.record(
        conn, principal.actor, "mediation.agreement", "incident", code, after={"form": form}
    )
    return view_or_receipt(conn, principal, code)


CONFIRMATIONS = ("applied", "confirmed", "rejected", "not_sought")


def record_confirmation(
    conn: Connection, principal: Caller, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Judicial confirmation (司法确认) of the agreement: applied, confirmed, rejected, or not
    sought; on a date between the agreement's effect and today."""
    row = case_for(conn, principal, code)
    agreement = conn.execute(query("agreement"), {"file_id": row.file_id}).first()
    if agreement is None:
        raise InvalidInput("confirmation", f"dispute {code} has no agreement to confirm")
    status = choice(body, "confirmation", CONFIRMATIONS)
    on = past_or_today(
        body.get("confirmation_on") or china_day(row.now), "confirmation_on", china_day(row.now)
    )
    assert on is not None
    if on < agreement.effective_on:
        raise InvalidInput("confirmation_on", "cannot be before the agreement took effect")
    conn.execute(
        query("agreement_confirm"),
        {"file_id": row.file_id, "confirmation": status, "confirmation_on": on},
    )
    trail(conn, row, principal, "mediation_confirmation", "司法确认", {"confirmation": status})
    audit.record(
        conn,
        principal.actor,
        "mediation.confirmation",
        "incident",
        code,
        after={"confirmation": status},
    )
    return view_or_receipt(conn, principal, code)


def record_follow_up(
    conn: Connection, principal: Caller, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A follow-up call on the agreement's performance (回访)."""
    row = case_for(conn, principal, code)
    agreement = conn.execute(query("agreement"), {"file_id": row.file_id}).first()
    if agreement is None:
        raise InvalidInput("performed", f"dispute {code} has no agreement to follow up")
    today = china_day(row.now)
    called_on = past_or_today(body.get("called_on") or today, "called_on", today)
    assert called_on is not None
    if called_on < agreement.effective_on:
        raise InvalidInput("called_on", "cannot be before the agreement took effect")
    values = {
        "file_id": row.file_id,
        "called_on": called_on,
        "performed": choice(body, "performed", ("yes", "partly", "no")),
        "satisfaction": choice(
            body, "satisfaction", ("satisfied", "basically_satisfied", "dissatisfied")
        ),
        "remaining_risk": choice(body, "remaining_risk", ("none", "low", "high")),
        "note": text_field(body, "note", False),
        "actor": principal.actor.username,
    }
    conn.execute(query("follow_up_insert"), values)
    trail(
        conn, row, principal, "mediation_follow_up", "调解回访", {"performed": values["performed"]}
    )
    audit.record(
        conn,
        principal.actor,
        "mediation.follow_up",
        "incident",
        code,
        after={"performed": values["performed"]},
    )
    return view_or_receipt(conn, principal, code)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def view(conn: Connection, principal: Caller, code: str) -> dict[str, Any]:
    """The file of dispute ``code`` as its reader gets it (404 for anyone else, §5.7)."""
    row = case_for(conn, principal, code)
    limits = ladder.limits(conn)
    attempts = conn.execute(query("attempts"), {"file_id": row.file_id}).all()
    rung = ladder.rung_of(row.level)
    used = {r: sum(1 for a in attempts if a.level == r) for r in ladder.RUNGS}
    agreement = conn.execute(query("agreement"), {"file_id": row.file_id}).first()
    overall = limits["ladder"]
    return {
        "code": row.code,
        "category": {"code": row.category_code, "name": row.category_name},
        "level": row.level,
        "rung": rung,
        "intake": {
            "on": _iso(row.intake_on),
            "dispute_type": row.dispute_type,
            "source": row.source,
            "summary": mask_text(row.summary),
            "risk": row.risk,
            "opened_at": _iso(row.opened_at),
            "opened_by": row.opened_by,
        },
        "rights": {"notified": row.rights_notified, "on": _iso(row.rights_notified_on)},
        "ladder": [
            {
                "level": r,
                "label": ladder.RUNG_LABELS[r],
                "max_attempts": limits[r].max_attempts,
                "attempt_days": float(limits[r].amount),
                "used": used[r],
                "current": r == rung and row.outcome is None,
            }
            for r in ladder.RUNGS
        ],
        "rung_since": _iso(row.rung_since),
        "due_overall": _iso(
            datetime.combine(row.intake_on, time(0), CHINA) + timedelta(days=float(overall.amount))
        ),
        "outcome": row.outcome,
        "ended_at": _iso(row.ended_at),
        "parties": [_party(p) for p in conn.execute(query("parties"), {"file_id": row.file_id})],
        "attempts": [_attempt(a) for a in attempts],
        "agreement": None if agreement is None else _agreement(agreement),
        "follow_ups": [
            {
                "called_on": _iso(f.called_on),
                "performed": f.performed,
                "satisfaction": f.satisfaction,
                "remaining_risk": f.remaining_risk,
                "note": mask_text(f.note),
            }
            for f in conn.execute(query("follow_ups"), {"file_id": row.file_id})
        ],
        "version": row.version,
    }


def _party(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "side": p.side,
        "kind": p.kind,
        "member_id": p.member_id,
        "name": p.name if p.kind == "unit" else mask_name(p.name),
        "phone": mask_phone(p.phone),
        "id_number": mask_id_number(p.id_number),
        "agent": mask_name(p.agent),
    }


def _attempt(a: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "level": a.level,
        "rung": a.rung,
        "held_at": _iso(a.held_at),
        "due_at": _iso(a.due_at),
        "place": None if a.lon is None else {"lon": a.lon, "lat": a.lat},
        "micro_grid": a.micro_grid,
        "mediators": [{**m, "name": mask_name(m.get("name"))} for m in a.mediators],
        "participants": [mask_name(p) for p in a.participants],
        "record": mask_text(a.record),
        "attachments": a.attachments,
        "outcome": a.outcome,
        "outcome_label": ladder.OUTCOME_LABELS[a.outcome],
        "refused": a.refused,
    }


def _agreement(a: Any) -> dict[str, Any]:
    return {
        "level": a.level,
        "rung": a.rung,
        "form": a.form,
        "terms": mask_text(a.terms),
        "effective_on": _iso(a.effective_on),
        "confirmation_due": _iso(a.confirmation_due),
        "confirmation": a.confirmation,
        "confirmation_on": _iso(a.confirmation_on),
    }
