"""Whistles as the API answers them: one, a list in the caller's scope, and the conflicts.

A department's attendance is derived, never stored: ``arrived`` (its first check-in on site
was on time), ``late`` (on site after the deadline), ``absent`` (no check-in on site and the
deadline passed) or ``awaiting``. The map colours them 已到 green, 迟到 red, 未到 grey. Free
text (a whistle's reason, a score's) comes out masked like every text: a phone or ID number
written into it is masked.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cases.whistle.rules import CLOSED, CRITERIA, KINDS
from cases.whistle.sql import query
from geo.errors import NotFound
from geo.privacy import mask_text
from geo.scope import WHOLE_BANNER, Scope

#: The most whistles one list answers.
MAX_LIST = 500


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def attendance(row: Any, now: datetime) -> str:
    """A summoned department's attendance at ``now`` (see the module's docstring)."""
    if row.judgement == "on_time":
        return "arrived"
    if row.judgement == "late":
        return "late"
    return "absent" if now > row.arrive_due else "awaiting"


def _department(row: Any, now: datetime) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "lead": row.lead,
        "acknowledge_due": _iso(row.acknowledge_due),
        "respond_due": _iso(row.respond_due),
        "arrive_due": _iso(row.arrive_due),
        "acknowledged_at": _iso(row.acknowledged_at),
        "arrived_at": _iso(row.arrived_at),
        "attendance": attendance(row, now),
        "checkins": row.checkins,
        "left_at": _iso(row.left_at),
        "left_early": bool(row.left_early),
    }


def _status(row: Any) -> str:
    if row.released_at is not None:
        return "released"
    return "closed" if row.incident_status in CLOSED else "open"


def _views(conn: Connection, rows: list[Any], now: datetime | None) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    if not ids:
        return []
    clock = now or rows[0].now
    departments: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for d in conn.execute(query("whistle_departments"), {"ids": ids}):
        departments[d.whistle_id].append(_department(d, clock))
    scores: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for s in conn.execute(query("whistle_scores"), {"ids": ids}):
        scores[s.whistle_id].append(
            {
                "department_code": s.department_code,
                "criterion": s.criterion,
                "criterion_label": CRITERIA[s.criterion],
                "score": s.score,
                "reason": mask_text(s.reason),
                "at": _iso(s.at),
            }
        )
    return [
        {
            "id": r.id,
            "code": r.code,
            "kind": r.kind,
            "kind_label": KINDS[r.kind],
            "reason": mask_text(r.reason),
            "status": _status(r),
            "area_code": r.area_code,
            "blown_role": r.blown_role,
            "blown_at": _iso(r.blown_at),
            "released_at": _iso(r.released_at),
            "point": {"lon": r.lon, "lat": r.lat},
            "meeting": {"lon": r.lon, "lat": r.lat} if r.has_meeting else None,
            "area": json.loads(r.area) if r.area else None,
            "departments": departments[r.id],
            "scores": scores[r.id],
        }
        for r in rows
    ]


def _rows(
    conn: Connection,
    scope: Scope,
    *,
    whistle_id: int | None = None,
    code: str | None = None,
    open_only: bool = False,
    with_area: bool = True,
    limit: int = MAX_LIST,
    whistler: str | None = None,
) -> list[Any]:
    params = {
        "whistler": whistler,
        "id": whistle_id,
        "code": code,
        "open_only": open_only,
        "with_area": with_area,
        "limit": limit,
        **scope.params(),
    }
    return list(conn.execute(query("whistle_list"), params))


def whistle(
    conn: Connection,
    whistle_id: int,
    *,
    scope: Scope = WHOLE_BANNER,
    whistler: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Whistle ``whistle_id`` as the caller with ``scope`` (and account name ``whistler``)
    sees it (404 outside it)."""
    rows = _rows(conn, scope, whistle_id=whistle_id, whistler=whistler)
    if not rows:
        raise NotFound(f"whistle {whistle_id} does not exist")
    return _views(conn, rows, now)[0]


def whistles(
    conn: Connection,
    scope: Scope,
    *,
    code: str | None = None,
    open_only: bool = False,
    limit: int = MAX_LIST,
    whistler: str | None = None,
) -> list[dict[str, Any]]:
    """The whistles inside ``scope`` (or blown by ``whistler``), newest first; of case
    ``code`` or only open ones."""
    rows = _rows(conn, scope, code=code, open_only=open_only, limit=limit, whistler=whistler)
    return _views(conn, rows, None)


def conflicts(conn: Connection, scope: Scope, whistler: str | None = None) -> list[dict[str, Any]]:
    """Departments summoned by two or more whistles open at once (WORKFLOW.md §3.5)."""
    rows = conn.execute(query("whistle_conflicts"), {"whistler": whistler, **scope.params()})
    return [
        {
            "department_code": r.code,
            "department_name": r.name,
            "whistles": r.whistles,
            "codes": r.codes,
        }
        for r in rows
    ]


def audited(view: dict[str, Any]) -> dict[str, Any]:
    """What an audit entry keeps of a whistle: no geometry."""
    return {k: v for k, v in view.items() if k not in ("area", "point")}
