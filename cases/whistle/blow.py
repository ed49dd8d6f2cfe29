"""Blowing a whistle on a case: :func:`blow`, and the routing matrix's suggestion.

The checks run before anything is written, in order: a role that may not blow (403), the case
missing or outside the caller's scope (404), a case already closed (409), then the fields
(422, naming the first wrong one): ``kind``, ``reason``, the departments, the meeting point.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from access import audit
from cases import live
from cases.errors import ActionNotAllowed
from cases.loop import calendar
from cases.loop.actions import Caller
from cases.whistle import read
from cases.whistle.rules import BLOWERS, CLOSED, KINDS, MAX_ASSISTING, MAX_REASON, deadlines
from cases.whistle.rules import text_field as _text
from cases.whistle.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.points import parse_point

#: How many 协办 departments the matrix suggests.
SUGGESTED_ASSISTING = 2


def suggest(conn: Connection, case: Any) -> tuple[str, list[str]]:
    """主办: the department the case is routed to; 协办: where the case's township routes the
    other categories of its major class (the routing matrix, overrides first)."""
    rows = conn.execute(
        query("whistle_suggest"),
        {
            "category": case.category_code,
            "township": case.township_code,
            "lead": case.department_code,
            "n": SUGGESTED_ASSISTING,
        },
    ).scalars()
    return case.department_code, list(rows)


def suggestion(conn: Connection, caller: Caller, code: str) -> dict[str, Any]:
    """The departments the form preselects for a whistle on case ``code``: 主办 and 协办
    (404 outside the caller's scope, 403 for a role that may not blow)."""
    if caller.role not in BLOWERS:
        raise Forbidden(f"the role {caller.role.value} may not blow a whistle")
    case = conn.execute(
        query("whistle_case"), {"code": code, **caller.scope.params()}
    ).one_or_none()
    if case is None:
        raise NotFound(f"code: incident {code} does not exist")
    lead, assisting = suggest(conn, case)
    return {
        "code": case.code,
        "lead_department": lead,
        "assisting_departments": [c for c in assisting if c != lead],
        "point": {"lon": case.lon, "lat": case.lat},
    }


def _departments(conn: Connection, body: dict[str, Any], case: Any) -> dict[str, int]:
    """The summoned departments' ids by code, 主办 first; 422 naming a bad one."""
    lead, assisting = suggest(conn, case)
    if body.get("lead_department") is not None:
        lead = _text(body, "lead_department", 16, required=True) or lead
    given = body.get("assisting_departments")
    if given is not None:
        if not isinstance(given, list) or len(given) > MAX_ASSISTING:
            raise InvalidInput(
                "assisting_departments", f"must be a list of at most {MAX_ASSISTING}"
            )
        assisting = [
            _text({"c": c}, "c", 16, required=True) or "" for c in given
        ]  # each checked below with its index
    else:
        assisting = [c for c in assisting if c != lead]
    codes = [lead, *assisting]
    rows = conn.execute(query("department_ids"), {"codes": codes})
    known: dict[str, int] = {r.code: r.id for r in rows}
    for i, code in enumerate(codes):
        field = "lead_department" if i == 0 else f"assisting_departments.{i - 1}"
        if code not in known:
            raise InvalidInput(field, f"unknown department {code!r}")
        if code in codes[:i]:
            raise InvalidInput(field, f"department {code} is named twice")
    return {code: known[code] for code in codes}


def blow(
    conn: Connection, caller: Caller, body: dict[str, Any], at: datetime | None = None
) -> dict[str, Any]:
    """Blow a whistle on case ``body["code"]``; the whistle as :func:`read.whistle` answers
    it. ``at`` (default: the transaction's time) is when it was blown. Runs in the caller's
    transaction: the whistle, its summons, the audit entry and the live event."""
    if caller.role not in BLOWERS:
        raise Forbidden(f"the role {caller.role.value} may not blow a whistle")
    code = _text(body, "code", 32, required=True)
    case = conn.execute(
        query("whistle_case"), {"code": code, **caller.scope.params()}
    ).one_or_none()
    if case is None:
        raise NotFound(f"code: incident {code} does not exist")
    if case.status in CLOSED:
        raise ActionNotAllowed(
            f"incident {code} is {case.status}: a closed case takes no whistle",
            status=case.status,
            allowed=[],
        )
    kind = body.get("kind")
    if kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    reason = _text(body, "reason", MAX_REASON, required=True)
    departments = _departments(conn, body, case)
    meeting = None
    if any(body.get(f) is not None for f in ("lon", "lat", "datum")):
        meeting = parse_point(body.get("lon"), body.get("lat"), body.get("datum"))
    blown_at = at or case.now
    row = conn.execute(
        query("whistle_insert"),
        {
            "incident_id": case.id,
            "kind": kind,
            "reason": reason,
            "lon": meeting.lon if meeting else None,
            "lat": meeting.lat if meeting else None,
            "area_code": case.area_code,
            "blown_by": caller.actor.username,
            "blown_role": caller.role.value,
            "at": blown_at,
        },
    ).one()
    limits = {
        r.step: (Decimal(r.amount), r.unit)
        for r in conn.execute(query("whistle_limits"), {"kind": kind})
    }
    due = deadlines(calendar.load(conn), limits, row.blown_at)
    conn.execute(
        query("whistle_summon"),
        [
            {"whistle_id": row.id, "department_id": d, "lead": i == 0, **due}
            for i, d in enumerate(departments.values())
        ],
    )
    view = read.whistle(conn, row.id, now=blown_at)
    audit.record(conn, caller.actor, "whistle.blow", "whistle", row.id, after=read.audited(view))
    live.notify(conn, [live.whistle("blown", view)])
    return view
