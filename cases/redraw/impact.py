"""Impact preview of a draft plan: who and what changes hands if it is published.

Everything is computed set-wise in SQL against the plan's base generation (the current layout
when the plan is not stale) with the same rules publication applies (:mod:`cases.redraw.publish`):
open incidents held by a retired area go to the draft micro-grid covering them; party members
to the micro-grid covering (else nearest) their home; grid workers, instructors and leaders
to the area of their level that overlaps their old area most.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row

from cases.models import CLOSED_STATUSES
from cases.redraw.sql import query
from cases.registry.redraw import grid_size_warnings, registry_moves
from geo.areas import current_generation
from geo.plans.drafts import get_plan
from geo.privacy import mask_name
from geo.scope import Scope

_CLOSED = [s.value for s in CLOSED_STATUSES]
_FIGURES = ("open_incidents", "party_members", "staff", "grid_workers", "km2")


@dataclass(frozen=True)
class MemberMove:
    id: int
    kind: str
    name: str
    from_code: str
    to_ref: str
    to_status: str
    to_area_id: int | None
    how: str
    from_grid: str | None = None
    to_grid: str | None = None

    def view(self) -> dict[str, Any]:
        """As clients and the stored publication report see it: the name masked."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": mask_name(self.name),
            "from": self.from_code,
            "to": self.to_ref,
            "to_status": self.to_status,
            "rule": self.how,
            "from_grid": self.from_grid,
            "to_grid": self.to_grid,
        }


def member_moves(conn: Connection, plan_id: int) -> list[MemberMove]:
    """Every member of a retired area and the draft area they go to (see the module doc)."""
    rows = conn.execute(query("member_moves"), {"plan": plan_id})
    return [
        MemberMove(
            r.id,
            r.kind,
            r.name,
            r.from_code,
            r.to_ref,
            r.to_status,
            r.to_area_id,
            r.how,
            r.from_grid,
            r.to_grid,
        )
        for r in rows
    ]


def incident_moves(conn: Connection, plan_id: int, *, scope: Scope) -> list[dict[str, Any]]:
    """Open incidents whose micro-grid changes: incident code, from code, to draft ref, and
    the grid it was in and goes to (they differ when it changes hands); for department staff
    only the incidents routed to their department."""
    rows = conn.execute(
        query("incident_moves"),
        {"plan": plan_id, "closed": _CLOSED, **scope.params()},
    )
    return [
        {
            "code": r.code,
            "from": r.from_code,
            "to": r.to_ref,
            "to_status": r.to_status,
            "from_grid": r.from_grid,
            "to_grid": r.to_grid,
        }
        for r in rows
    ]


def area_figures(
    conn: Connection,
    plan_id: int,
    staff: list[MemberMove],
    *,
    scope: Scope,
    geometry: bool = False,
) -> list[Row[Any]]:
    """Figures per area before and after (see ``cases/redraw/sql/area_stats.sql``); for
    department staff the open incidents are those routed to their department."""
    moved = [m for m in staff if m.kind != "party_member"]
    return list(
        conn.execute(
            query("area_stats"),
            {
                "plan": plan_id,
                "closed": _CLOSED,
                "staff_refs": [m.to_ref for m in moved],
                "staff_kinds": [m.kind for m in moved],
                "geometry": geometry,
                **scope.params(),
            },
        )
    )


def _figures(row: Row[Any]) -> dict[str, Any]:
    return {k: getattr(row, k) for k in _FIGURES}


def _registry(row: Row[Any]) -> dict[str, Any]:
    """The households and population (the registry's persons) of a changing area."""
    return {"households": row.households, "population": row.population}


def _workload(rows: list[Row[Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per side and level: areas, km², open incidents and members per area, and the ratios."""
    groups: dict[tuple[str, str], list[Row[Any]]] = defaultdict(list)
    for row in rows:
        groups[(row.side, row.level)].append(row)
    out: dict[str, dict[str, dict[str, Any]]] = {"before": {}, "after": {}}
    for (side, level), group in groups.items():
        n = len(group)
        members = [r.party_members + r.staff for r in group]
        open_total = sum(r.open_incidents for r in group)
        out[side][level] = {
            "areas": n,
            "km2_total": round(sum(r.km2 for r in group), 3),
            "km2_mean": round(sum(r.km2 for r in group) / n, 4),
            "km2_max": round(max(r.km2 for r in group), 4),
            "open_incidents": open_total,
            "open_incidents_max": max(r.open_incidents for r in group),
            "members_per_area": round(sum(members) / n, 2),
            "members_min": min(members),
            "open_incidents_per_member": round(open_total / sum(members), 3)
            if sum(members)
            else None,
            "without_grid_worker": sum(1 for r in group if r.grid_workers == 0)
            if level == "grid"
            else None,
        }
    return out


def _warnings(rows: list[Row[Any]]) -> list[str]:
    warnings = []
    for row in rows:
        if row.side != "after" or row.status == "unchanged":
            continue
        if row.level == "grid" and row.grid_workers == 0:
            warnings.append(f"grid {row.ref} would have no grid worker (网格员): assign one")
        if row.level == "micro_grid" and row.party_members == 0:
            warnings.append(f"micro-grid {row.ref} would have no party member at home in it")
    return warnings


def impact(conn: Connection, plan_id: int, *, scope: Scope) -> dict[str, Any]:
    """The impact preview as JSON (see the module doc); members' names masked."""
    plan = get_plan(conn, plan_id, scope=scope)
    members = member_moves(conn, plan_id)
    rows = area_figures(conn, plan_id, members, scope=scope)
    changed = [r for r in rows if r.status != "unchanged"]
    return {
        "plan": plan_id,
        "scope": plan.scope_code,
        "base_generation": plan.base_generation,
        "current_generation": current_generation(conn),
        "areas": {
            "retired": [r.ref for r in changed if r.side == "before"],
            "changed": [r.ref for r in changed if r.status == "changed"],
            "new": [r.ref for r in changed if r.status == "new"],
        },
        "incidents": incident_moves(conn, plan_id, scope=scope),
        "members": [m.view() for m in members],
        "counts": {
            "before": [
                {"code": r.ref, "level": r.level, **_figures(r), **_registry(r)}
                for r in changed
                if r.side == "before"
            ],
            "after": [
                {"ref": r.ref, "level": r.level, "status": r.status, **_figures(r), **_registry(r)}
                for r in changed
                if r.side == "after"
            ],
        },
        "workload": _workload(rows),
        "registry": registry_moves(conn, plan_id),
        "warnings": _warnings(rows) + grid_size_warnings(conn, plan_id),
    }


def impact_features(conn: Connection, plan_id: int, *, scope: Scope) -> dict[str, Any]:
    """The changed areas as a map layer: retired ones (``side`` before) and their
    replacements (after), each with its figures and ``delta`` (after − before for a changed
    copy; the figures themselves for a new area, their negation for a retired one)."""
    get_plan(conn, plan_id, scope=scope)
    rows = area_figures(conn, plan_id, member_moves(conn, plan_id), scope=scope, geometry=True)
    before = {r.ref: _figures(r) for r in rows if r.side == "before"}
    features = []
    for row in rows:
        if row.status == "unchanged":
            continue
        figures = _figures(row)
        source = before.get(row.source_code) if row.status == "changed" else None
        if row.side == "before":
            delta = {k: -v for k, v in figures.items()}
        else:
            base = source or dict.fromkeys(_FIGURES, 0)
            delta = {k: round(figures[k] - base[k], 4) for k in _FIGURES}
        features.append(
            {
                "type": "Feature",
                "id": f"{row.side}:{row.ref}",
                "geometry": json.loads(row.geometry),
                "properties": {
                    "side": row.side,
                    "ref": row.ref,
                    "level": row.level,
                    "status": row.status,
                    "source_code": row.source_code,
                    **figures,
                    **_registry(row),
                    "before": source,
                    "delta": delta,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
