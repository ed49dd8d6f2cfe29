"""Who gets an incident once its place is known: the grid's worker and the routed department."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from cases.routing import department_for
from geo.assign import Placement


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
    """The grid worker of the placement's grid (none for a queue) and the routed department."""
    member_id = None
    if placement.area_id("micro_grid") is not None:
        member_id = conn.execute(
            text(
                "SELECT id FROM member WHERE area_id = :grid AND kind = 'grid_worker' "
                "ORDER BY id LIMIT 1"
            ),
            {"grid": placement.area_id("grid")},
        ).scalar_one_or_none()
    department = department_for(conn, category_code, placement.area_code("township"))
    return Desk(placement, member_id, department)
