"""The topology gate on a draft: each level against its parent, as the publisher sees it.

Every parent in the draft (the scope, and each draft area above micro-grid level) must be
partitioned by its children: :func:`geo.topology.check_layout` says where it is not. Problem
features carry the parent's ref and the children's level, so a map can show them in place.

Repairs are offered (:func:`geo.topology.suggest_repairs`) and applied only when a planner
picks them by id. They reshape only areas the draft has already reshaped (or drawn): an area
whose shape is still its source's is an anchor the others are brought onto, so accepting a
repair never gives an untouched neighbour, or its children, new codes. An id names the
action, the area and the version it was computed for (``snap:1506210010010101@3``), so a
repair of an area edited since is no longer offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import Connection, text

from geo.errors import InvalidInput
from geo.models import AreaLevel
from geo.plans.drafts import get_plan, touch
from geo.plans.errors import PlanConflict
from geo.plans.messages import problem_zh, repair_zh
from geo.plans.sql import query
from geo.scope import Scope
from geo.topology import Problem, Repair, Unit, apply_repairs, check_layout, suggest_repairs
from geo.topology.coverage import length_m


@dataclass(frozen=True)
class Layout:
    """The children of one parent of the draft (``parent_ref`` is a ref or the scope code)."""

    parent_ref: str
    parent: Any
    level: AreaLevel
    children: list[Unit]


def layouts(conn: Connection, plan_id: int, *, scope: Scope) -> list[Layout]:
    """Every parent of the draft with its children, coarsest parent first."""
    plan = get_plan(conn, plan_id, scope=scope)
    scope_wkb = conn.execute(
        text("SELECT ST_AsBinary(geom) FROM area WHERE id = :id"), {"id": plan.scope_area_id}
    ).scalar_one()
    rows = conn.execute(
        query("draft_areas"),
        {"plan": plan_id},
    ).all()
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
    parents: dict[str, tuple[Any, AreaLevel]] = {
        plan.scope_code: (shapely.from_wkb(bytes(scope_wkb)), plan.scope_level)
    }
    children: dict[str, list[Unit]] = {plan.scope_code: []}
    for row, geom in zip(rows, geoms, strict=True):
        level = AreaLevel(row.level)
        if level is not AreaLevel.MICRO_GRID:
            parents[row.ref] = (geom, level)
            children.setdefault(row.ref, [])
        children.setdefault(row.parent_ref, []).append(Unit(row.ref, row.name, geom))
    found = []
    for ref, (geom, level) in sorted(parents.items(), key=lambda p: (p[1][1].depth, p[0])):
        below = list(AreaLevel)[level.depth + 1]
        found.append(Layout(ref, geom, below, children.get(ref, [])))
    return found


def _feature(problem: Problem, layout: Layout) -> dict[str, Any]:
    """The problem as a Feature with the parent's ref, the level and the Chinese message."""
    names = {u.code: u.name for u in layout.children}
    edge = problem.kind == "edge_mismatch" and problem.geometry is not None
    message = problem_zh(
        problem.kind,
        [(code, names.get(code, "")) for code in problem.codes],
        layout.level.value,
        area_m2=problem.area_m2,
        length_m=length_m(problem.geometry) if edge else None,
    )
    feature = problem.to_feature()
    feature["properties"].update(
        {"parent_ref": layout.parent_ref, "level": layout.level.value, "message_zh": message}
    )
    return feature


def check_plan(conn: Connection, plan_id: int, *, scope: Scope) -> dict[str, Any]:
    """The draft's topology problems as a FeatureCollection (no features: it may publish)."""
    features = []
    for layout in layouts(conn, plan_id, scope=scope):
        problems = check_layout(layout.children, layout.parent)
        features += [_feature(p, layout) for p in problems]
    return {"type": "FeatureCollection", "features": features, "count": len(features)}


@dataclass(frozen=True)
class Offered:
    id: str
    layout: Layout
    repair: Repair
    version: int


def offered_repairs(
    conn: Connection, plan_id: int, snap_tolerance_m: float, *, scope: Scope
) -> list[Offered]:
    """The repairs the topology module offers for each layout of the draft."""
    versions: dict[str, int] = {
        r.ref: r.version
        for r in conn.execute(
            text("SELECT ref, version FROM plan_area WHERE plan_id = :plan"), {"plan": plan_id}
        )
    }
    untouched = set(conn.execute(query("untouched"), {"plan": plan_id}).scalars())
    offered = []
    for layout in layouts(conn, plan_id, scope=scope):
        if not layout.children:
            continue
        for repair in suggest_repairs(
            layout.children, layout.parent, snap_tolerance_m=snap_tolerance_m, fixed=untouched
        ):
            version = versions[repair.code]
            offered.append(
                Offered(f"{repair.action}:{repair.code}@{version}", layout, repair, version)
            )
    return offered


def repair_features(
    conn: Connection, plan_id: int, snap_tolerance_m: float, *, scope: Scope
) -> dict[str, Any]:
    """Offered repairs as a FeatureCollection of the geometries they would give."""
    features = []
    for item in offered_repairs(conn, plan_id, snap_tolerance_m, scope=scope):
        code = item.repair.code
        name = next((u.name for u in item.layout.children if u.code == code), "")
        feature = item.repair.to_feature()
        feature["id"] = item.id
        feature["properties"].update(
            {
                "id": item.id,
                "ref": code,
                "version": item.version,
                "parent_ref": item.layout.parent_ref,
                "label_zh": repair_zh(item.repair.action, code, name, snap_tolerance_m),
            }
        )
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def apply_plan_repairs(
    conn: Connection, plan_id: int, ids: list[str], snap_tolerance_m: float, *, scope: Scope
) -> list[str]:
    """Apply the offered repairs named by ``ids``; returns the refs whose geometry changed."""
    plan = get_plan(conn, plan_id, scope=scope, lock=True)
    plan.require_draft()
    offered = {o.id: o for o in offered_repairs(conn, plan_id, snap_tolerance_m, scope=scope)}
    gone = [i for i in ids if i not in offered]
    if gone:
        raise PlanConflict(
            f"repair {gone[0]} is not offered for the draft as it is now (an area changed "
            "since, or the tolerance differs): ask for the repairs again",
            repairs=gone,
        )
    if len(set(ids)) != len(ids):
        raise InvalidInput("ids", "a repair is named twice")
    changed: dict[str, Any] = {}
    for layout in {id(offered[i].layout): offered[i].layout for i in ids}.values():
        chosen = [o.repair for o in offered.values() if o.id in ids and o.layout is layout]
        for unit in apply_repairs(layout.children, chosen):
            if any(r.code == unit.code for r in chosen):
                changed[unit.code] = unit.geometry
    for ref, geom in changed.items():
        conn.execute(
            query("draft_area_reshape"),
            {"wkb": shapely.to_wkb(geom), "plan": plan_id, "ref": ref},
        )
    touch(conn, plan_id)
    return sorted(changed)
