"""Which area holds a point: the covering micro-grid, the nearest one, or a queue.

A point inside one micro-grid is ``covered``; on an edge shared by several it goes to the
lowest code (``boundary_tie``); outside every micro-grid but within ``limit_m`` metres of one
it goes to that one (``nearest``); farther, it waits in the covering township's queue, or the
banner's when no township covers it (``unassigned``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from geo.areas import chain
from geo.errors import NotFound
from geo.sql import query


class Assignment(enum.StrEnum):
    """How a point was matched to an area."""

    COVERED = "covered"
    BOUNDARY_TIE = "boundary_tie"
    NEAREST = "nearest"
    UNASSIGNED = "unassigned"

    @property
    def flagged(self) -> bool:
        """Anything but a clean hit deserves a look from the command centre."""
        return self is not Assignment.COVERED


@dataclass(frozen=True)
class Placement:
    """Where a point landed in one generation.

    ``queue_area_id`` is the area that holds the case: the micro-grid when there is one,
    else the township or banner whose unassigned queue it waits in. ``areas`` maps each
    level of the chain (banner … micro_grid) to ``(id, code, name)``.
    """

    assignment: Assignment
    generation: int
    queue_area_id: int
    areas: dict[str, tuple[int, str, str]]
    distance_m: float | None = None
    tied_codes: list[str] = field(default_factory=list)

    def area_id(self, level: str) -> int | None:
        found = self.areas.get(level)
        return found[0] if found else None

    def area_code(self, level: str) -> str | None:
        found = self.areas.get(level)
        return found[1] if found else None


def place(conn: Connection, lon: float, lat: float, generation: int, limit_m: float) -> Placement:
    """Place a CGCS2000 point in ``generation`` (see the module docstring for the rules)."""
    rows = conn.execute(
        query("place"), {"lon": lon, "lat": lat, "g": generation, "limit_m": limit_m}
    ).all()
    if not rows:
        raise NotFound(f"generation {generation} has no banner to queue the point in")
    return placement(rows[0], chain(conn, rows[0].id), generation)


def placement(row: Any, links: list[dict[str, Any]], generation: int) -> Placement:
    """The :class:`Placement` a row of fragment ``placement`` (``how``, ``id``,
    ``distance_m``, ``tied``) and the queue area's chain ``links`` (banner first) say."""
    if row.how == "covered":
        tied = list(row.tied) if row.tied and len(row.tied) > 1 else []
        how = Assignment.BOUNDARY_TIE if tied else Assignment.COVERED
    elif row.how == "nearest":
        tied, how = [], Assignment.NEAREST
    else:
        tied, how = [], Assignment.UNASSIGNED
    return Placement(
        assignment=how,
        generation=generation,
        queue_area_id=row.id,
        areas={link["level"]: (link["id"], link["code"], link["name"]) for link in links},
        distance_m=None if row.distance_m is None else round(float(row.distance_m), 1),
        tied_codes=tied,
    )
