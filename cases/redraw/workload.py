"""The workload of each grid of a draft plan, after and before, against the households norm.

What a planner balances when redrawing grids: households and persons (the registry's houses
inside the grid), open incidents and those of the last 365 days (located inside it), and the
members serving it (its staff, and the party members at home inside). ``before`` is the live
grid a copy comes from, so a grid nobody reshaped reads the same on both sides; a grid drawn in
the draft has none. SQL: ``cases/redraw/sql/grid_workload.sql``.

The norm: an urban grid (of a community, 社区) holds 300–500 households, a rural one (of a
village or gacha) about 300; a rural grid is flagged beyond ±50 % of that.

Examples
--------
>>> flag("urban", 299), flag("urban", 500), flag("rural", 451), flag("rural", 150)
('too_small', None, 'too_large', None)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from cases.models import CLOSED_STATUSES
from cases.redraw.sql import query
from geo.plans.drafts import get_plan
from geo.scope import Scope

#: Households per grid: an urban range, and a rural target with the share either side of it.
URBAN = (300, 500)
RURAL = 300
RURAL_SPREAD = 0.5
NORMS = {"urban": list(URBAN), "rural": RURAL}
_FIGURES = ("households", "population", "open_cases", "cases_year", "members")


def flag(kind: str, households: int) -> str | None:
    """``too_small``, ``too_large`` or None: ``households`` against the norm of ``kind``."""
    low, high = (
        URBAN if kind == "urban" else (RURAL * (1 - RURAL_SPREAD), RURAL * (1 + RURAL_SPREAD))
    )
    if households < low:
        return "too_small"
    if households > high:
        return "too_large"
    return None


def workload(conn: Connection, plan_id: int, *, scope: Scope) -> dict[str, Any]:
    """Per grid of the draft: its figures after, ``before`` (or None), kind and norm flag."""
    get_plan(conn, plan_id, scope=scope)
    rows = conn.execute(
        query("grid_workload"),
        {"plan": plan_id, "closed": [s.value for s in CLOSED_STATUSES]},
    ).all()
    before = {r.ref: {k: int(getattr(r, k)) for k in _FIGURES} for r in rows if r.side == "before"}
    grids = []
    for row in rows:
        if row.side != "after":
            continue
        kind = "urban" if row.village_kind == "community" else "rural"
        figures = {k: int(getattr(row, k)) for k in _FIGURES}
        grids.append(
            {
                "ref": row.ref,
                "name": row.name,
                **figures,
                "kind": kind,
                "before": before.get(row.ref),
                "flag": flag(kind, figures["households"]),
            }
        )
    return {"norms": NORMS, "grids": grids}
