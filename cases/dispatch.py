"""Who gets an incident once its place is known: the grid's worker and the routed department.

One rule each, written once (``sql/desks.sql``) and used one incident at a time
(:func:`desk_for`, intake) and set-wise (:func:`desks_for`, the import and the re-assignment
after a redraw):

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
    department_code: list[str]
    time_limit_hours: NDArray[np.int64]
    member_id: NDArray[np.int64]


def desk_for(conn: Connection, placement: Placement, category_code: str) -> Desk:
    """The desk of one placed incident of ``category_code`` (see the module docstring)."""
    grid = placement.area_id("grid") if placement.area_id("micro_grid") is not None else None
    found = _desks(conn, [category_code], [placement.area_id("township")], [grid or 0])
    member = int(found.member_id[0])
    return Desk(placement, member or None, int(found.department_id[0]), found.department_code[0])


def desks_for(conn: Connection, categories: Sequence[str], placed: Placements) -> Desks:
    """The desks of many placed incidents, ``categories[i]`` being the category of point i.

    ``placed.grid_id`` is 0 exactly where there is no micro-grid (:class:`Placements`).
    """
    return _desks(conn, categories, placed.township_id.tolist(), placed.grid_id.tolist())


def _desks(
    conn: Connection,
    categories: Sequence[str],
    townships: Sequence[int | None],
    grids: Sequence[int],
) -> Desks:
    """Both rules for each (category, township, grid) triple; a grid of 0 has no worker."""
    keys = list(zip(categories, [t or None for t in townships], strict=True))
    pairs = list(dict.fromkeys(keys))
    wanted = np.unique(np.asarray(grids, dtype=np.int64))
    wanted = wanted[wanted != 0]
    rows = conn.execute(
        query("desks"),
        {
            "categories": [c for c, _ in pairs],
            "townships": [t for _, t in pairs],
            "grids": wanted.tolist(),
        },
    ).all()
    routed = {pairs[r.key - 1]: (r.id, r.hours, r.code) for r in rows if r.what == "route"}
    missing = next((p for p in pairs if routed.get(p, (None,))[0] is None), None)
    if missing is not None:
        raise NotFound(f"category {missing[0]} has no department to route to")
    found = [routed[k] for k in keys]
    workers = {int(r.key): int(r.id) for r in rows if r.what == "worker"}
    by_grid = np.array([workers.get(g, 0) for g in wanted.tolist()] + [0], dtype=np.int64)
    at = np.searchsorted(wanted, np.asarray(grids, dtype=np.int64))
    at[np.asarray(grids, dtype=np.int64) == 0] = len(wanted)  # the trailing 0: no worker
    return Desks(
        department_id=np.array([d for d, _, _ in found], dtype=np.int64),
        department_code=[c for _, _, c in found],
        time_limit_hours=np.array([h for _, h, _ in found], dtype=np.int64),
        member_id=by_grid[at],
    )
