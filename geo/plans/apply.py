"""Write a draft plan's areas as a new generation: codes, rows, retirements, populations.

Only the area table is touched here; :mod:`cases.redraw.publish` wraps these steps with the checks
and moves people and incidents.

Codes are hierarchical (township 3 digits, village 3, grid 2, micro-grid 2 under the parent's
code). A changed or new area gets the next number under its parent that no area row of any
generation has ever carried: area rows are never deleted, so the table is the registry, and
the ``area_code_keeps_its_shape`` trigger (migration 0003) refuses a code reused for another
shape whatever wrote it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo.models import AreaLevel
from geo.plans.drafts import PlanRow
from geo.plans.errors import CodeSpaceExhausted
from geo.plans.sql import query
from geo.scope import Scope

#: Digits each level adds to its parent's code.
CODE_WIDTH = {
    AreaLevel.TOWNSHIP: 3,
    AreaLevel.VILLAGE: 3,
    AreaLevel.GRID: 2,
    AreaLevel.MICRO_GRID: 2,
}


def _ref_order(ref: str) -> tuple[int, str]:
    """Copies in code order, then new areas in the order they were drawn."""
    if ref.startswith("new-") and ref[4:].isdigit():
        return 1, f"{int(ref[4:]):09d}"
    return 0, ref


def _last_used(conn: Connection, parent_code: str, width: int) -> int:
    last = conn.execute(
        text(
            "SELECT max(CAST(substr(code, length(:p) + 1) AS int)) FROM area "
            "WHERE left(code, length(:p)) = :p AND length(code) = length(:p) + :w"
        ),
        {"p": parent_code, "w": width},
    ).scalar_one()
    return int(last or 0)


def allocate_codes(conn: Connection, plan: PlanRow) -> dict[str, str]:
    """A code for every changed or new draft area: ``{ref: code}``, parents first."""
    rows = sorted(
        conn.execute(
            query("area_status"),
            {"plan": plan.id},
        ),
        key=lambda r: (AreaLevel(r.level).depth, _ref_order(r.ref)),
    )
    codes: dict[str, str] = {}
    last: dict[str, int] = {}
    for row in rows:
        if row.status == "unchanged":
            continue
        level = AreaLevel(row.level)
        width = CODE_WIDTH[level]
        parent = codes.get(row.parent_ref, row.parent_ref)
        if parent not in last:
            last[parent] = _last_used(conn, parent, width)
        last[parent] += 1
        if last[parent] >= 10**width:
            raise CodeSpaceExhausted(
                f"no unused {level.value} code is left under {parent}: every number up to "
                f"{10**width - 1} has been used",
                parent=parent,
            )
        codes[row.ref] = f"{parent}{last[parent]:0{width}d}"
    return codes


def insert_rows(conn: Connection, plan: PlanRow, generation: int, codes: dict[str, str]) -> None:
    """Rows of ``generation`` for the changed and new draft areas, coarsest level first;
    ``plan_area.area_id`` records the row each draft area became (kept or new)."""
    conn.execute(
        query("keep_unchanged"),
        {"plan": plan.id},
    )
    for level in list(AreaLevel)[plan.scope_level.depth + 1 :]:
        conn.execute(
            query("insert_level"),
            {
                "refs": list(codes),
                "codes": list(codes.values()),
                "scope_code": plan.scope_code,
                "scope_id": plan.scope_area_id,
                "g": generation,
                "plan": plan.id,
                "level": level.value,
            },
        )


def retire(conn: Connection, plan: PlanRow) -> list[tuple[int, str]]:
    """End the base's areas under the scope that no unchanged draft area continues."""
    rows = conn.execute(
        query("retire"),
        {"plan": plan.id, "base": plan.base_generation},
    ).all()
    return sorted((r.id, r.code) for r in rows)


def estimate_population(conn: Connection, generation: int, retired: list[int]) -> None:
    """Population of the new rows from the retired areas of their level, by overlap share."""
    conn.execute(
        text(
            """
            UPDATE area n SET population = (
                SELECT round(sum(o.population * ST_Area(ST_Intersection(o.geom, n.geom))
                                 / nullif(ST_Area(o.geom), 0)))
                FROM area o
                WHERE o.id = ANY(:retired) AND o.level = n.level AND ST_Intersects(o.geom, n.geom))
            WHERE n.generation_low = :g
            """
        ),
        {"g": generation, "retired": retired},
    )


def changes_since(conn: Connection, generation: int, *, scope: Scope) -> list[dict[str, Any]]:
    """Generations newer than ``generation``: when, by whom, which areas they added/retired.

    Only what lies inside ``scope`` is named: the areas, and the plan (its author and scope)
    when its scope is inside; a generation of another township shows as one that happened.
    """
    rows = conn.execute(
        query("changes_since"),
        {"base": generation, **scope.params()},
    )
    return [
        {
            "generation": r.id,
            "description": r.description if r.plan_inside is not False else None,
            "published_at": r.created_at.isoformat(),
            "activated_at": r.activated_at.isoformat() if r.activated_at else None,
            "published_by": r.published_by if r.plan_inside else None,
            "plan": r.plan if r.plan_inside else None,
            "scope": r.scope_code if r.plan_inside else None,
            "added": r.added or [],
            "retired": r.retired or [],
        }
        for r in rows
    ]
