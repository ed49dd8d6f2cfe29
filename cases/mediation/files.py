"""The mediation file (卷宗, WORKFLOW.md §5.4–5.5): intake, parties, agreement, judicial
confirmation and follow-up calls, and the file as a reader gets it.

Every write runs in the caller's transaction after the case is locked and checked (in scope,
a dispute, readable by the caller, the ladder in the right state) and each field checked; a
refusal raises before anything is written. Each write is audited (``mediation.*``) and, when
it changes the ladder, an entry of the case's trail (kind ``mediation``, no personal data).
Names, phones and ID numbers leave masked (:mod:`geo.privacy`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from cases.incidents import member_exists
from cases.mediation import ladder
from cases.mediation.common import (
    Caller,
    case_for,
    changed,
    china_day,
    choice,
    climb,
    past_or_today,
    text_field,
    trail,
)
from cases.mediation.sql import query
from cases.mediation.views import view_or_receipt
from geo.errors import Forbidden, InvalidInput, NotFound


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
