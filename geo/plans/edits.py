"""Edits of a draft plan, each one transaction under the plan's row lock.

Optimistic concurrency: every edit names the version of each draft area it changes (the API
takes it from ``If-Match`` or the body). A missing version is :class:`VersionRequired`, a
version someone else has already moved past is :class:`VersionConflict`; either way nothing is
written. Each edit bumps the version of every area it touches and the plan's own version.

Geometries arrive converted to CGCS2000 (:mod:`geo.shapes`); children of a changed area go to
the area they overlap most, so the topology check (:mod:`geo.plans.check`) has the final say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from sqlalchemy import Connection, Row, text

from geo.errors import InvalidInput, NotFound
from geo.models import STORAGE_SRID, AreaLevel
from geo.plans import cuts
from geo.plans.drafts import PlanRow, get_plan, touch
from geo.plans.errors import PlanConflict, VersionConflict, VersionRequired
from geo.plans.sql import query
from geo.scope import WHOLE_BANNER, Scope

GEOM_SQL = f"ST_Multi(ST_GeomFromWKB(:wkb, {STORAGE_SRID}))"
#: Metres per degree of latitude, for snapping tolerances given in metres.
METRES_PER_DEGREE = 111_320.0
#: How far past the bounding box of its plan's scope a drawn area may reach: enough to move a
#: boundary onto a road or river, far short of a slip of the coordinates.
SCOPE_MARGIN_M = 2_000.0


def lock_draft(conn: Connection, plan_id: int, *, scope: Scope) -> PlanRow:
    """The draft ``plan_id`` inside ``scope``, locked; NotFound, or PlanConflict when it is no
    longer a draft."""
    plan = get_plan(conn, plan_id, scope=scope, lock=True)
    plan.require_draft()
    return plan


def require_near_scope(conn: Connection, plan: PlanRow, geom: Any, field: str = "geometry") -> None:
    """Refuse ``geom`` when it reaches more than :data:`SCOPE_MARGIN_M` past the bounding box
    of ``plan``'s scope, saying how far (a slip of the coordinates, another datum's numbers, a
    polygon in the wrong place); the topology check judges everything nearer."""
    xmin, ymin, xmax, ymax = conn.execute(
        text(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM area "
            "WHERE id = :id"
        ),
        {"id": plan.scope_area_id},
    ).one()
    gxmin, gymin, gxmax, gymax = shapely.bounds(geom)
    dx = max(xmin - gxmin, gxmax - xmax, 0.0)
    dy = max(ymin - gymin, gymax - ymax, 0.0)
    across = METRES_PER_DEGREE * math.cos(math.radians((ymin + ymax) / 2))
    outside_m = math.hypot(dx * across, dy * METRES_PER_DEGREE)
    if outside_m > SCOPE_MARGIN_M:
        raise InvalidInput(
            field,
            f"reaches {outside_m / 1000:,.1f} km outside the scope {plan.scope_code} of plan "
            f"{plan.id}; at most {SCOPE_MARGIN_M / 1000:g} km",
        )


def _area(conn: Connection, plan_id: int, ref: str) -> Row[Any]:
    row = conn.execute(
        text(
            "SELECT id, ref, name, level, kind, parent_ref, version, source_area_id "
            "FROM plan_area WHERE plan_id = :plan AND ref = :ref FOR UPDATE"
        ),
        {"plan": plan_id, "ref": ref},
    ).one_or_none()
    if row is None:
        raise NotFound(f"plan {plan_id} has no area {ref}")
    return row


def _checked(conn: Connection, plan_id: int, ref: str, version: int | None) -> Row[Any]:
    """The draft area ``ref``, locked, if ``version`` is still its version."""
    if version is None:
        raise VersionRequired(
            "If-Match",
            f'send If-Match: "<version>" (or "version" in the body) with the version of {ref} '
            "you edited",
            where="header",
        )
    row = _area(conn, plan_id, ref)
    if row.version != version:
        raise VersionConflict(
            f"{ref} is at version {row.version}, not {version}: it was saved meanwhile; "
            "reload it and apply your edit again",
            ref=ref,
            version=row.version,
        )
    return row


def next_ref(conn: Connection, plan_id: int) -> str:
    n = conn.execute(
        text("UPDATE plan SET last_new = last_new + 1 WHERE id = :id RETURNING last_new"),
        {"id": plan_id},
    ).scalar_one()
    return f"new-{n}"


def reparent(
    conn: Connection,
    plan_id: int,
    from_refs: list[str],
    to_refs: list[str],
    *,
    refs: list[str] | None = None,
) -> int:
    """Move the children of ``from_refs`` (and the areas ``refs``) under the area of
    ``to_refs`` they overlap most; returns how many changed parent."""
    moved = conn.execute(
        query("reparent"),
        {"plan": plan_id, "from_refs": from_refs, "to_refs": to_refs, "refs": refs or []},
    ).all()
    return len(moved)


def to_wkb(geom: Any) -> bytes:
    return bytes(shapely.to_wkb(geom))


def replace_geometry(
    conn: Connection,
    plan_id: int,
    ref: str,
    geom: Any,
    version: int | None,
    *,
    scope: Scope,
    name: str | None = None,
) -> int:
    """Replace ``ref``'s geometry (and name); returns its new version."""
    plan = lock_draft(conn, plan_id, scope=scope)
    row = _checked(conn, plan_id, ref, version)
    require_near_scope(conn, plan, geom)
    new_version = conn.execute(
        text(
            f"UPDATE plan_area SET geom = {GEOM_SQL}, name = coalesce(:name, name), "
            "version = version + 1 WHERE id = :id RETURNING version"
        ),
        {"wkb": to_wkb(geom), "name": name, "id": row.id},
    ).scalar_one()
    touch(conn, plan_id)
    return int(new_version)


def split_area(
    conn: Connection,
    plan_id: int,
    ref: str,
    line: Any,
    version: int | None,
    *,
    scope: Scope,
    name: str | None = None,
    snap_m: float = 0.0,
    cut_children: bool | None = None,
) -> tuple[str, str]:
    """Cut ``ref`` in two along ``line``: the larger piece keeps ``ref``, the other is new.

    The line must cross the area once, from outside to outside. It is first snapped to the
    vertices of the draft's areas within ``snap_m`` metres, and the points where it crosses an
    edge are added to both sides (:mod:`geo.plans.cuts`), so the neighbours' shared edges still
    match vertex for vertex when it starts and ends on existing vertices; a crossing elsewhere
    adds a vertex the neighbour lacks, which the topology check reports. With
    ``cut_children`` (the default for a village or a grid) the areas under ``ref`` are cut
    along the same line and the parents rebuilt as unions of their children; without it they
    go to the piece they overlap most.
    """
    lock_draft(conn, plan_id, scope=scope)
    row = _checked(conn, plan_id, ref, version)
    if cut_children is None:
        cut_children = AreaLevel(row.level) in (AreaLevel.VILLAGE, AreaLevel.GRID)
    line = cuts.snapped_line(conn, plan_id, line, snap_m)
    pieces = cuts.divide(cuts.subtree(conn, plan_id, ref, cut_children), line, ref)
    new_ref, rebuild = cuts.write(conn, plan_id, pieces, lambda: next_ref(conn, plan_id), name)
    for parent in rebuild:
        conn.execute(query("union_of_children"), {"plan": plan_id, "ref": parent})
    if not cut_children:
        reparent(conn, plan_id, [ref], [ref, new_ref])
    touch(conn, plan_id)
    return ref, new_ref


def _connected(conn: Connection, ids: list[int]) -> bool:
    pairs = conn.execute(
        text(
            "SELECT a.id AS a, b.id AS b FROM plan_area a JOIN plan_area b "
            "ON a.id < b.id AND ST_Intersects(a.geom, b.geom) "
            "WHERE a.id = ANY(:ids) AND b.id = ANY(:ids)"
        ),
        {"ids": ids},
    ).all()
    reached, frontier = {ids[0]}, [ids[0]]
    while frontier:
        here = frontier.pop()
        for pair in pairs:
            for x, y in ((pair.a, pair.b), (pair.b, pair.a)):
                if x == here and y not in reached:
                    reached.add(y)
                    frontier.append(y)
    return reached == set(ids)


def merge_areas(
    conn: Connection,
    plan_id: int,
    refs: Sequence[str],
    versions: Mapping[str, int] | None,
    *,
    scope: Scope = WHOLE_BANNER,
    name: str | None = None,
) -> str:
    """Merge ``refs`` (same level and parent, touching) into the first; returns its ref.

    ``scope``: the editor's (the default, the whole banner, is for benchmarks and scripts).
    """
    if len(refs) < 2 or len(set(refs)) != len(refs):
        raise InvalidInput("refs", "name at least two different areas to merge")
    lock_draft(conn, plan_id, scope=scope)
    missing = [r for r in refs if versions is None or r not in versions]
    if missing:
        raise VersionRequired(
            "versions", f"give the version of every area you merge; missing {', '.join(missing)}"
        )
    assert versions is not None
    rows = [_checked(conn, plan_id, ref, versions[ref]) for ref in refs]
    kinds = {(r.level, r.parent_ref) for r in rows}
    if len(kinds) > 1:
        found = ", ".join(f"{r.ref} ({r.level} under {r.parent_ref})" for r in rows)
        raise InvalidInput("refs", f"only areas of one level under one parent merge: {found}")
    if not _connected(conn, [r.id for r in rows]):
        raise InvalidInput("refs", f"the areas {', '.join(refs)} do not all touch each other")
    survivor, others = rows[0], [r.ref for r in rows[1:]]
    conn.execute(
        text(
            "UPDATE plan_area SET geom = (SELECT ST_Multi(ST_Union(geom)) FROM plan_area "
            "WHERE id = ANY(:ids)), name = coalesce(:name, name), version = version + 1 "
            "WHERE id = :id"
        ),
        {"ids": [r.id for r in rows], "name": name, "id": survivor.id},
    )
    conn.execute(
        text(
            "UPDATE plan_area SET parent_ref = :to, version = version + 1 "
            "WHERE plan_id = :plan AND parent_ref = ANY(:from)"
        ),
        {"plan": plan_id, "to": survivor.ref, "from": others},
    )
    conn.execute(
        text("DELETE FROM plan_area WHERE plan_id = :plan AND ref = ANY(:refs)"),
        {"plan": plan_id, "refs": others},
    )
    touch(conn, plan_id)
    return str(survivor.ref)


def _level_below(conn: Connection, plan: PlanRow, parent_ref: str) -> AreaLevel:
    if parent_ref == plan.scope_code:
        parent_level = plan.scope_level
    else:
        found = conn.execute(
            text("SELECT level FROM plan_area WHERE plan_id = :plan AND ref = :ref"),
            {"plan": plan.id, "ref": parent_ref},
        ).scalar_one_or_none()
        if found is None:
            raise InvalidInput("parent", f"plan {plan.id} has no area {parent_ref}")
        parent_level = AreaLevel(found)
    if parent_level is AreaLevel.MICRO_GRID:
        raise InvalidInput("parent", f"{parent_ref} is a micro-grid and has no children")
    return list(AreaLevel)[parent_level.depth + 1]


def add_area(
    conn: Connection,
    plan_id: int,
    *,
    scope: Scope,
    parent_ref: str,
    name: str,
    geom: Any,
    level: AreaLevel | None = None,
    kind: str | None = None,
) -> str:
    """Draw a new area under ``parent_ref`` (a draft area or the scope); returns its ref."""
    plan = lock_draft(conn, plan_id, scope=scope)
    require_near_scope(conn, plan, geom)
    below = _level_below(conn, plan, parent_ref)
    if level is not None and level is not below:
        raise InvalidInput("level", f"an area under {parent_ref} is a {below.value}, not {level}")
    ref = next_ref(conn, plan_id)
    conn.execute(
        text(
            "INSERT INTO plan_area (plan_id, ref, name, level, kind, parent_ref, geom) "
            f"VALUES (:plan, :ref, :name, :level, :kind, :parent, {GEOM_SQL})"
        ),
        {
            "plan": plan_id,
            "ref": ref,
            "name": name,
            "level": below.value,
            "kind": kind,
            "parent": parent_ref,
            "wkb": to_wkb(geom),
        },
    )
    touch(conn, plan_id)
    return ref


def remove_area(
    conn: Connection, plan_id: int, ref: str, version: int | None, *, scope: Scope
) -> None:
    """Remove ``ref`` from the draft; an area that still holds others is refused."""
    lock_draft(conn, plan_id, scope=scope)
    row = _checked(conn, plan_id, ref, version)
    children = conn.execute(
        text("SELECT ref FROM plan_area WHERE plan_id = :plan AND parent_ref = :ref ORDER BY ref"),
        {"plan": plan_id, "ref": ref},
    ).scalars()
    held = list(children)
    if held:
        raise PlanConflict(
            f"{ref} still holds {len(held)} areas ({', '.join(held[:5])}): merge it into a "
            "neighbour instead, or remove those first",
            ref=ref,
            children=held,
        )
    conn.execute(text("DELETE FROM plan_area WHERE id = :id"), {"id": row.id})
    touch(conn, plan_id)
