"""Boundary plans (规划方案): create a draft, read it, delete it.

A draft copies the live areas under its scope (a township, village or grid) from its base
generation, the newest one. Edits live in :mod:`geo.plans.edits`, the topology check in
:mod:`geo.plans.check`, and the impact preview and publication in :mod:`cases.redraw.impact`
and :mod:`cases.redraw.publish`, since those move incidents.

Every function reached from the API takes the caller's ``scope``: a plan whose scope code lies
outside it is :class:`NotFound`, exactly like a missing one, and is left out of listings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo.areas import find_area
from geo.errors import InvalidInput, NotFound
from geo.models import AreaLevel
from geo.plans.errors import PlanConflict
from geo.plans.models import PlanStatus
from geo.plans.sql import query
from geo.scope import WHOLE_BANNER, Scope

#: Levels a plan may be scoped to; its draft holds the levels below.
SCOPE_LEVELS = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE, AreaLevel.GRID)


@dataclass(frozen=True)
class PlanRow:
    id: int
    scope_code: str
    scope_area_id: int
    scope_level: AreaLevel
    base_generation: int
    status: PlanStatus
    version: int

    def require_draft(self) -> None:
        if self.status is not PlanStatus.DRAFT:
            raise PlanConflict(
                f"plan {self.id} is {self.status.value}, not a draft: it can no longer change",
                plan=self.id,
                status=self.status.value,
            )


def get_plan(conn: Connection, plan_id: int, *, scope: Scope, lock: bool = False) -> PlanRow:
    """The plan ``plan_id`` if its scope lies inside ``scope`` (locked for the transaction
    with ``lock``), or :class:`NotFound`, the same whether it is missing or out of scope."""
    row = conn.execute(
        query("plan_locked" if lock else "plan"),
        {"id": plan_id, **scope.params()},
    ).one_or_none()
    if row is None:
        raise NotFound(f"plan {plan_id} does not exist")
    return PlanRow(
        row.id,
        row.scope_code,
        row.scope_area_id,
        AreaLevel(row.scope_level),
        row.base_generation,
        PlanStatus(row.status),
        row.version,
    )


def newest_generation(conn: Connection) -> int:
    """The newest generation, current or scheduled: the layout a new plan must build on."""
    g = conn.execute(text("SELECT max(id) FROM generation")).scalar_one()
    if g is None:
        raise NotFound("no boundary generation has been published yet")
    return int(g)


def create_plan(
    conn: Connection,
    scope_code: str,
    description: str,
    author: str,
    *,
    scope: Scope = WHOLE_BANNER,
) -> int:
    """A new draft copying the areas under ``scope_code`` from the newest generation.

    ``scope_code`` must lie inside the author's ``scope`` (checked before anything else, so
    the answer says nothing of areas outside it); the default is for the CLI and benchmarks.
    """
    if not scope.covers(scope_code):
        raise InvalidInput("scope_code", f"{scope_code} is outside your area {scope.area_prefix}")
    base = newest_generation(conn)
    try:
        area = find_area(conn, scope_code, base)
    except NotFound as exc:
        raise InvalidInput("scope_code", exc.message) from None
    if area.level not in SCOPE_LEVELS:
        choices = ", ".join(level.value for level in SCOPE_LEVELS)
        raise InvalidInput(
            "scope_code", f"{scope_code} is a {area.level.value}; a plan covers a {choices}"
        )
    plan_id = conn.execute(
        query("plan_insert"),
        {
            "code": scope_code,
            "area": area.id,
            "base": base,
            "description": description,
            "author": author,
        },
    ).scalar_one()
    conn.execute(query("copy"), {"plan": plan_id})
    return int(plan_id)


def touch(conn: Connection, plan_id: int) -> int:
    """Bump the plan's version after an edit; returns the new version."""
    return int(
        conn.execute(
            query("plan_touch"),
            {"id": plan_id},
        ).scalar_one()
    )


def snapshot(conn: Connection, plan_id: int) -> dict[str, dict[str, Any]]:
    """Every draft area of the plan in brief, for the audit trail: ``{ref: {name, level,
    parent, version, vertices}}`` (a vertex count stands for the geometry)."""
    rows = conn.execute(
        text(
            "SELECT ref, name, level, parent_ref, version, ST_NPoints(geom) AS vertices "
            "FROM plan_area WHERE plan_id = :plan"
        ),
        {"plan": plan_id},
    )
    return {
        r.ref: {
            "name": r.name,
            "level": r.level,
            "parent": r.parent_ref,
            "version": r.version,
            "vertices": r.vertices,
        }
        for r in rows
    }


def changed_areas(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entries of two :func:`snapshot` that differ, as ``(before, after)``; an area
    missing from one side is None there.

    Examples
    --------
    >>> a = {"v": 1}
    >>> changed_areas({"x": a, "y": a}, {"x": a, "y": {"v": 2}, "new-1": a})
    ({'new-1': None, 'y': {'v': 1}}, {'new-1': {'v': 1}, 'y': {'v': 2}})
    """
    refs = sorted(ref for ref in before.keys() | after.keys() if before.get(ref) != after.get(ref))
    return {r: before.get(r) for r in refs}, {r: after.get(r) for r in refs}


def delete_plan(conn: Connection, plan_id: int, *, scope: Scope) -> None:
    """Delete a draft and its areas; published plans are the record and stay."""
    get_plan(conn, plan_id, scope=scope, lock=True).require_draft()
    conn.execute(text("DELETE FROM plan WHERE id = :id"), {"id": plan_id})


def plan_features(
    conn: Connection,
    plan_id: int,
    *,
    scope: Scope,
    level: AreaLevel | None = None,
    refs: list[str] | None = None,
) -> list[str]:
    """The draft's areas as RFC 7946 Features (JSON text) with ref, version and status."""
    get_plan(conn, plan_id, scope=scope)
    rows = conn.execute(
        query("features"),
        {"plan": plan_id, "level": level.value if level else None, "refs": refs},
    )
    return [r.feature for r in rows]


def plan_feature(conn: Connection, plan_id: int, ref: str, *, scope: Scope) -> dict[str, Any]:
    """One draft area as a Feature, or :class:`NotFound`."""
    found = plan_features(conn, plan_id, scope=scope, refs=[ref])
    if not found:
        raise NotFound(f"plan {plan_id} has no area {ref}")
    feature: dict[str, Any] = json.loads(found[0])
    return feature


def plan_summary(conn: Connection, plan_id: int, *, scope: Scope) -> dict[str, Any]:
    """What a planner sees first: scope, base, state, and areas per level and status."""
    get_plan(conn, plan_id, scope=scope)
    row = conn.execute(query("plan_summary"), {"plan": plan_id}).one()
    levels: dict[str, dict[str, int]] = {}
    for key, n in (row.counts or {}).items():
        level, status = key.split(":")
        levels.setdefault(level, {"unchanged": 0, "changed": 0, "new": 0, "retired": 0})
        levels[level][status] = int(n)
    for level, n in (row.retired or {}).items():
        levels.setdefault(level, {"unchanged": 0, "changed": 0, "new": 0, "retired": 0})
        levels[level]["retired"] = int(n)
    return {
        "id": row.id,
        "scope": {"code": row.scope_code, "name": row.scope_name, "level": row.scope_level},
        "description": row.description,
        "author": row.author,
        "status": row.status,
        "version": row.version,
        "base_generation": row.base_generation,
        "current_generation": row.current_generation,
        "stale": row.status == PlanStatus.DRAFT and row.newest_generation != row.base_generation,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "levels": levels,
        "generation": row.generation_id,
        "published_at": row.published_at.isoformat() if row.published_at else None,
        "published_by": row.published_by,
        "report": row.report,
    }


def list_plans(
    conn: Connection, status: str | None = None, *, scope: Scope
) -> list[dict[str, Any]]:
    """Plans whose scope lies inside ``scope``, newest first (at most 500), optionally of one
    status."""
    if status is not None and status not in PlanStatus.__members__.values():
        choices = ", ".join(s.value for s in PlanStatus)
        raise InvalidInput("status", f"unknown status {status!r}; expected one of {choices}")
    rows = conn.execute(
        query("plans"),
        {"status": status, **scope.params()},
    )
    return [
        {
            "id": r.id,
            "scope": {"code": r.scope_code, "name": r.scope_name},
            "status": r.status,
            "description": r.description,
            "author": r.author,
            "version": r.version,
            "base_generation": r.base_generation,
            "generation": r.generation_id,
            "created_at": r.created_at.isoformat(),
            "updated_at": r.updated_at.isoformat(),
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "published_by": r.published_by,
        }
        for r in rows
    ]
