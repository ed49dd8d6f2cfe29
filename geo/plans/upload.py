"""Upload a boundary file into a draft: one level under the scope replaced by the file's areas.

The file is read by :func:`geo.files.boundaries.read_boundary_file`; here its areas replace the
draft's areas of one level, matched by code, with parents and children following by overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
from sqlalchemy import Connection, text

from geo.errors import InvalidFile, InvalidInput
from geo.models import AreaLevel
from geo.plans.drafts import touch
from geo.plans.edits import lock_draft, next_ref, reparent, to_wkb
from geo.plans.errors import VersionConflict, VersionRequired
from geo.plans.sql import query
from geo.scope import Scope
from geo.topology import Unit


def _storable(areas: Sequence[Unit]) -> None:
    """Refuse a file whose geometries cannot be a draft area (the gate judges the rest)."""
    for area in areas:
        geom = area.geometry
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            what = "nothing" if geom is None else ("empty" if geom.is_empty else geom.geom_type)
            raise InvalidFile("file", f"feature {area.code}: expected a polygon, got {what}")
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            raise InvalidFile("file", f"feature {area.code}: invalid polygon: {reason}")


def replace_level(
    conn: Connection,
    plan_id: int,
    level: AreaLevel,
    areas: Sequence[Unit],
    plan_version: int | None,
    *,
    scope: Scope,
) -> dict[str, Any]:
    """Replace every draft area of ``level`` with ``areas`` (an uploaded file).

    An uploaded area whose code is a draft ref at that level replaces that area's geometry and
    name; the others are new. Draft areas of the level missing from the file are removed.
    Each area goes under the area one level up that it overlaps most, and the areas one level
    down under the new area they overlap most.
    """
    plan = lock_draft(conn, plan_id, scope=scope)
    if plan_version is None:
        raise VersionRequired(
            "If-Match", 'send If-Match: "<plan version>" (or "version")', where="header"
        )
    if plan.version != plan_version:
        raise VersionConflict(
            f"plan {plan_id} is at version {plan.version}, not {plan_version}: it changed "
            "meanwhile; reload it and upload again",
            plan=plan_id,
            version=plan.version,
        )
    if level.depth <= plan.scope_level.depth:
        raise InvalidInput(
            "level", f"{level.value} is not below the plan's scope {plan.scope_code}"
        )
    _storable(areas)
    codes = [a.code for a in areas]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise InvalidInput("file", f"codes appear more than once: {', '.join(twice[:5])}")
    existing = set(
        conn.execute(
            text("SELECT ref FROM plan_area WHERE plan_id = :plan AND level = :level"),
            {"plan": plan_id, "level": level.value},
        ).scalars()
    )
    taken = conn.execute(
        text("SELECT ref FROM plan_area WHERE plan_id = :plan AND ref = ANY(:codes)"),
        {"plan": plan_id, "codes": [c for c in codes if c not in existing]},
    ).scalars()
    clash = list(taken)
    if clash:
        raise InvalidInput("file", f"codes of other levels: {', '.join(clash[:5])}")
    parent_level = list(AreaLevel)[level.depth - 1]
    kept, added = [], []
    for area in areas:
        params = {"plan": plan_id, "name": area.name or None, "wkb": to_wkb(area.geometry)}
        if area.code in existing:  # a nameless feature keeps the area's name
            kept.append(area.code)
            conn.execute(
                query("upload_keep"),
                {**params, "ref": area.code},
            )
            continue
        ref = next_ref(conn, plan_id)
        added.append(ref)
        conn.execute(
            query("upload_add"),
            {
                **params,
                "name": area.name or area.code,
                "ref": ref,
                "level": level.value,
                "parent": plan.scope_code,
            },
        )
    removed = sorted(existing - set(kept))
    new_set = kept + added
    if parent_level is not plan.scope_level:
        parents = list(
            conn.execute(
                text("SELECT ref FROM plan_area WHERE plan_id = :plan AND level = :level"),
                {"plan": plan_id, "level": parent_level.value},
            ).scalars()
        )
        reparent(conn, plan_id, [], parents, refs=new_set)
    reparented = reparent(conn, plan_id, [*removed, *kept], new_set)
    conn.execute(
        text("DELETE FROM plan_area WHERE plan_id = :plan AND ref = ANY(:refs)"),
        {"plan": plan_id, "refs": removed},
    )
    version = touch(conn, plan_id)
    return {
        "level": level.value,
        "kept": kept,
        "added": added,
        "removed": removed,
        "reparented": reparented,
        "version": version,
    }
