"""Townships score departments (赋分考核, WORKFLOW.md §4.1) and units appeal their ranking
(申诉, §4.5).

:func:`score_case`: a township's staff score, 0–100 with a reason, a department that held a
case in the township's area, once per case and department. :func:`appeal`: a ranked unit
(the township itself, the department itself, or for a village its township) appeals its row
of a published ranking; :func:`decide` records the outcome. Every refusal comes before any
write; every write is audited in the same transaction.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from cases.indicators.errors import AlreadyDone
from cases.indicators.periods import parse_quarter
from cases.indicators.rankings import within_of
from cases.indicators.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.scope import Scope

MAX_REASON = 2000
OUTCOMES = ("upheld", "rejected")


def _reason(value: Any, field: str = "reason") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "is required (non-empty text)", where="body")
    if len(value) > MAX_REASON:
        raise InvalidInput(field, f"must be at most {MAX_REASON} characters", where="body")
    return value.strip()


def checked_score(value: Any, field: str = "score") -> Decimal:
    """A score from 0 to 100 (at most two decimals)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(field, "must be a number from 0 to 100", where="body")
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(field, "must be a number from 0 to 100", where="body") from None
    if not score.is_finite() or not 0 <= score <= 100:
        raise InvalidInput(field, f"must be from 0 to 100, got {value}", where="body")
    return round(score, 2)


def score_case(
    conn: Connection,
    role: Role,
    scope: Scope,
    actor: audit.Actor,
    *,
    incident: str,
    department: str,
    score: Any,
    reason: Any,
) -> dict[str, Any]:
    """Record a township's score of ``department`` on case ``incident``."""
    township = scope.area_prefix
    if role is not Role.TOWNSHIP or township is None or len(township) != 9:
        raise Forbidden("only a township's staff score departments on cases in their area")
    value = checked_score(score)
    text = _reason(reason)
    row = conn.execute(
        query("case_for_score"), {"code": incident, "department": department}
    ).one_or_none()
    if row is None or not row.queue_code.startswith(township):
        raise InvalidInput("incident", f"no case {incident[:40]!r} in your township {township}")
    if row.department_id is None:
        raise InvalidInput("department", f"no department {department[:40]!r}")
    if not row.held:
        raise InvalidInput("department", f"{department} never held case {incident}")
    stored = conn.execute(
        query("case_score_insert"),
        {
            "incident_id": row.id,
            "township": township,
            "department_id": row.department_id,
            "score": value,
            "reason": text,
            "by": actor.username,
        },
    ).one_or_none()
    if stored is None:
        raise AlreadyDone(f"{department} is scored on case {incident} already")
    answer = {
        "id": stored.id,
        "incident": incident,
        "township_code": township,
        "department": department,
        "score": float(value),
        "reason": text,
        "by": actor.username,
        "at": stored.at.isoformat(),
    }
    audit.record(conn, actor, "case_score.create", "incident", incident, after=answer)
    return answer


def scores(
    conn: Connection, quarter: str, township: str | None, department: str | None
) -> list[dict[str, Any]]:
    """The scores given in ``quarter``, newest first."""
    window = parse_quarter(quarter)
    rows = conn.execute(
        query("case_scores_list"),
        {"start": window.start, "end": window.end, "township": township, "department": department},
    )
    return [
        {
            "id": r.id,
            "incident": r.incident,
            "township_code": r.township_code,
            "department": r.department,
            "score": float(r.score),
            "reason": r.reason,
            "by": r.by,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]


def _appeal_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "quarter": row.quarter,
        "kind": row.kind,
        "township": row.within or None,
        "code": row.code,
        "reason": row.reason,
        "by": row.by,
        "at": row.at.isoformat(),
        "outcome": row.outcome,
        "outcome_note": row.outcome_note,
        "decided_by": row.decided_by,
        "decided_at": None if row.decided_at is None else row.decided_at.isoformat(),
    }


def _speaks_for(role: Role, scope: Scope, kind: str, within: str, code: str) -> bool:
    """Whether the caller is the ranked unit ``code`` (or, for a village, its township)."""
    if kind == "department":
        return role is Role.DEPARTMENT and scope.department == code
    if kind == "township":
        return role is Role.TOWNSHIP and scope.area_prefix == code
    return role is Role.TOWNSHIP and scope.area_prefix == within


def appeal(
    conn: Connection,
    role: Role,
    scope: Scope,
    actor: audit.Actor,
    *,
    quarter: str,
    kind: str,
    township: str | None,
    code: Any,
    reason: Any,
) -> dict[str, Any]:
    """Appeal row ``code`` of the published ``kind`` ranking of ``quarter``."""
    window = parse_quarter(quarter)
    within = within_of(kind, township)
    text = _reason(reason)
    body = conn.execute(
        query("snapshot_get"), {"quarter": window.text, "kind": kind, "within": within}
    ).scalar_one_or_none()
    if body is None:
        raise NotFound(f"the {kind} ranking of {window.text} is not published")
    codes = {r["code"] for r in json.loads(bytes(body))["rows"]}
    if not isinstance(code, str) or code not in codes:
        raise InvalidInput("code", f"{str(code)[:40]!r} is not a row of this ranking", where="body")
    if not _speaks_for(role, scope, kind, within, code):
        raise Forbidden(f"only {code} itself may appeal its place in this ranking")
    row = conn.execute(
        query("appeal_insert"),
        {
            "quarter": window.text,
            "kind": kind,
            "within": within,
            "code": code,
            "reason": text,
            "by": actor.username,
        },
    ).one()
    answer = _appeal_view(row)
    audit.record(
        conn, actor, "appeal.create", "ranking", f"{window.text}/{kind}/{code}", after=answer
    )
    return answer


def decide(
    conn: Connection, actor: audit.Actor, appeal_id: int, outcome: Any, note: Any
) -> dict[str, Any]:
    """Record the outcome of an undecided appeal."""
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", f"expected one of {', '.join(OUTCOMES)}", where="body")
    text = _reason(note, "note")
    row = conn.execute(
        query("appeal_decide"),
        {"id": appeal_id, "outcome": outcome, "note": text, "by": actor.username},
    ).one_or_none()
    if row is None:
        found = conn.execute(query("appeal_exists"), {"id": appeal_id}).one_or_none()
        if found is None:
            raise NotFound(f"appeal {appeal_id} does not exist")
        raise AlreadyDone(f"appeal {appeal_id} is decided already ({found.outcome})")
    answer = _appeal_view(row)
    audit.record(conn, actor, "appeal.decide", "appeal", appeal_id, after=answer)
    return answer


def appeals(conn: Connection, quarter: str | None) -> list[dict[str, Any]]:
    """The appeals (of one quarter, or all), oldest first."""
    text = None if quarter is None else parse_quarter(quarter).text
    return [_appeal_view(r) for r in conn.execute(query("appeals_list"), {"quarter": text})]
