"""Who gets an incident once its place is known: the grid's worker and the routed department."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from cases.sql import query
from geo.assign import Placement
from geo.errors import NotFound


@dataclass(frozen=True)
class Desk:
    """The incident's columns that follow from its placement and category."""

    placement: Placement
    member_id: int | None
    department_id: int

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


def desk_for(conn: Connection, placement: Placement, category_code: str) -> Desk:
    """The grid worker of the placement's grid (none for a queue) and the routed department
    (the township's override, else the category's), in one statement."""
    covered = placement.area_id("micro_grid") is not None
    row = conn.execute(
        query("desk"),
        {
            "grid": placement.area_id("grid") if covered else None,
            "township": placement.area_code("township"),
            "category": category_code,
        },
    ).one()
    if row.department_id is None:
        raise NotFound(f"category {category_code} has no department to route to")
    return Desk(placement, row.member_id, int(row.department_id))
