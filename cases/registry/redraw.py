"""The registry follows a redraw: what the impact preview shows and what publication moves.

Houses (and so their households and persons), facilities and organisations are filed under a
live micro-grid. A publication retires micro-grids; everything filed under one is placed
again in the new generation by the rule it was placed by (:mod:`cases.registry.places`, the
nearest micro-grid if none covers it), in the publication's transaction. The preview shows
the same moves against the draft, per micro-grid, and each changed grid whose households are
far outside the norm (:data:`NORMS`) is a warning, not a refusal.

Examples
--------
>>> size_warning("15062100100101", "community", 120)
'grid 15062100100101 would hold 120 households, far below the urban norm of 300–500'
>>> size_warning("15062100100101", "village", 300) is None
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection

from cases.registry.load import copy_rows
from cases.registry.places import ANYWHERE, micro_grids
from cases.registry.sql import query

#: Households per grid (urban: a community's grids; rural: a village's or gacha's).
NORMS = {"urban": (300, 500), "rural": (200, 400)}
#: "Far outside": below half the norm's low end, or above one and a half times its high end.
FAR_BELOW, FAR_ABOVE = 0.5, 1.5
_LABELS = {"urban": "urban", "rural": "rural"}


def size_warning(ref: str, village_kind: str | None, households: int) -> str | None:
    """The warning for a grid of ``households`` households, or None inside the norm."""
    kind = "urban" if village_kind == "community" else "rural"
    low, high = NORMS[kind]
    if households < low * FAR_BELOW:
        side = "far below"
    elif households > high * FAR_ABOVE:
        side = "far above"
    else:
        return None
    return (
        f"grid {ref} would hold {households} households, {side} the {_LABELS[kind]} norm of "
        f"{low}–{high}"
    )


def grid_size_warnings(conn: Connection, plan_id: int) -> list[str]:
    """A warning per changed or new grid of the plan far outside the norm."""
    rows = conn.execute(query("grid_households"), {"plan": plan_id})
    found = (size_warning(r.ref, r.village_kind, int(r.households)) for r in rows)
    return [w for w in found if w]


def registry_moves(conn: Connection, plan_id: int) -> list[dict[str, Any]]:
    """Houses and households of the retired micro-grids by the draft micro-grid they go to."""
    rows = conn.execute(query("registry_moves"), {"plan": plan_id})
    return [
        {"from": r.from_code, "to": r.to_ref, "to_status": r.to_status, "houses": r.houses,
         "households": r.households}
        for r in rows
    ]  # fmt: skip


def rehome(conn: Connection, retired: list[int], generation: int) -> dict[str, Any]:
    """Place again everything filed under the ``retired`` areas in ``generation``; the
    houses and households moved per micro-grid, and the counts."""
    rows = conn.execute(query("rehome_points"), {"ids": retired}).all()
    if not rows:
        return {"houses": 0, "households": 0, "facilities": 0, "organisations": 0, "moves": []}
    lon = np.array([r.lon for r in rows])
    lat = np.array([r.lat for r in rows])
    placed = micro_grids(conn, lon, lat, generation, limit_m=ANYWHERE)
    copy_rows(
        conn, "registry_rehome", "what text, id bigint, old_id bigint, micro_grid_id bigint",
        ((r.what, r.id, r.micro_grid_id, int(m)) for r, m in zip(rows, placed, strict=True)),
    )  # fmt: skip
    conn.execute(query("rehome_write"))
    moves = [dict(r._mapping) for r in conn.execute(query("rehome_summary"))]
    conn.exec_driver_sql("DROP TABLE registry_rehome")
    kinds = [r.what for r in rows]
    return {
        "houses": kinds.count("house"),
        "households": sum(m["households"] for m in moves),
        "facilities": kinds.count("facility"),
        "organisations": kinds.count("organisation"),
        "moves": [
            {"from": m["from_code"], "to": m["to_code"], "houses": m["houses"],
             "households": m["households"]}
            for m in moves
        ],
    }  # fmt: skip
