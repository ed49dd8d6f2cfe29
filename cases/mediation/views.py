"""The mediation file as its reader gets it (404 for anyone else, WORKFLOW.md §5.7), or
the receipt of a step that handed the dispute to a level the caller no longer reads it at.
Names, phones and ID numbers leave masked (:mod:`geo.privacy`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection

from cases.loop.calendar import CHINA
from cases.loop.table import scope_level
from cases.mediation import ladder
from cases.mediation.common import Caller, case_for
from cases.mediation.sql import query
from geo.privacy import mask_id_number, mask_name, mask_phone, mask_text


def view_or_receipt(conn: Connection, principal: Caller, code: str) -> dict[str, Any]:
    """The file, or only where it stands when the step handed it to a level the caller no
    longer reads it at (a grid worker lifting a family dispute to the village)."""
    row = case_for(conn, principal, code, read=False)
    if ladder.may_read(principal.role, scope_level(principal), row.category_code, row.level):
        return view(conn, principal, code)
    return {"code": code, "level": row.level, "rung": ladder.rung_of(row.level), "receipt": True}


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
