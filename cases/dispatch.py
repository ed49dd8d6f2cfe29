"""Who gets an incident once its place is known: the grid's worker and the routed department.

One rule each, written once (the SQL fragments ``routed_department`` and ``grid_worker``) and
used one incident at a time (:func:`desk_for`; intake applies them inside its first statement,
``sql/intake_start.sql``) and set-wise (``sql/desks.sql``: :func:`desks_for`, the import and
the re-assignment after a redraw):

- **the department**: the township's routing override for the category, else the category's
  own department; the time limit is the category's;
- **the grid's worker**: only an incident with a micro-grid (covered, on a shared edge, or
  the nearest within the limit) has a grid; of the members of kind ``grid_worker`` serving
  that grid, the one with the lowest id (the first on the roll). A queue incident has none.

Set-wise, the distinct (category, township) pairs and the distinct grids are looked up in
one statement, however many incidents there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from cases.sql import query
from geo.assign import Placement
from geo.assign_bulk import Placements
from geo.errors import NotFound

__all__ = ["Desk", "Desks", "desk_for", "desks_for"]


@dataclass(frozen=True)
class Desk:
    """The incident's columns that follow from its placement and category."""

    placement: Placement
    member_id: int | None
    department_id: int
    department_code: str

    def columns(self) -> dict[str, Any]:
        p = self.placement
        assigned = p.area_id("micro_grid") is not None
        return {
            "generation": p.generation,
            "micro_grid": p.area_id("micro_grid"),
            "grid": p.area_id("grid") if assigned else None,
            "village": p.area_id("village") if assigned else None,
            "township": p.area_id("township"),
            "queue": p.queue_area_id,
            "assignment": p.assignment.value,
            "distance": p.distance_m,
            "member": self.member_id,
            "department": self.department_id,
        }


@dataclass(frozen=True)
class Desks:
    """Per placed point: the routed department (id and code), the category's time limit in
    hours and the grid's worker (0 for none), as columns."""

    department_id: NDArray[np.int64]
    department_code: NDArray[np.object_]
    time_limit_hours: NDArray[np.int64]
    member_id: NDArray[np.int64]


def desk_for(conn: Connection, placement: Placement, category_code: str) -> Desk:
    """The desk of one placed incident of ``category_code`` (see the module docstring)."""
    grid = placement.area_id("grid") if placement.area_id("micro_grid") is not None else None
    township = placement.area_id("township") or 0
    found = _desks(conn, [category_code], np.array([township]), np.array([grid or 0]))
    member = int(found.member_id[0])
    return Desk(
        placement, member or None, int(found.department_id[0]), str(found.department_code[0])
    )


def desks_for(conn: Connection, categories: Sequence[str], placed: Placements) -> Desks:
    """The desks of many placed incidents, ``categories[i]`` being the category of point i.

    ``placed.grid_id`` is 0 exactly where there is no micro-grid (:class:`Placements`).
    """
    return _desks(conn, categories, placed.township_id, placed.grid_id)


def _desks(
    conn: Connection,
    categories: Sequence[str],
    townships: NDArray[np.int64],
    grids: NDArray[np.int64],
) -> Desks:
    """Both rules for each (category, township, grid) triple; a township or grid of 0 is
    none (no override; no worker)."""
    numbered: dict[tuple[str, int], int] = {}
    pair_of = np.fromiter(
        (
            numbered.setdefault(key, len(numbered))
            for key in zip(categories, townships.tolist(), strict=True)
        ),
        dtype=np.intp,
        count=len(categories),
    )
    pairs = list(numbered)
    wanted = np.unique(grids[grids != 0])
    rows = conn.execute(
        query("desks"),
        {
            "categories": [c for c, _ in pairs],
            "townships": [t or None for _, t in pairs],
            "grids": wanted.tolist(),
        },
    ).all()
    routed = {r.key - 1: r for r in rows if r.what == "route"}
    missing = next(
        (i for i in range(len(pairs)) if getattr(routed.get(i), "id", None) is None), None
    )
    if missing is not None:
        raise NotFound(f"category {pairs[missing][0]} has no department to route to")
    per_pair = [routed[i] for i in range(len(pairs))]
    workers = {int(r.key): int(r.id) for r in rows if r.what == "worker"}
    by_grid = np.array([workers.get(g, 0) for g in wanted.tolist()] + [0], dtype=np.int64)
    at = np.searchsorted(wanted, grids)
    at[grids == 0] = len(wanted)  # the trailing 0: no worker
    return Desks(
        department_id=np.array([r.id for r in per_pair], dtype=np.int64)[pair_of],
        department_code=np.array([r.code for r in per_pair], dtype=object)[pair_of],
        time_limit_hours=np.array([r.hours for r in per_pair], dtype=np.int64)[pair_of],
        member_id=by_grid[at],
    )
