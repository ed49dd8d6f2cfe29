"""Re-assignment: move the open incidents of some areas onto another generation's layout.

Publishing a new boundary generation calls :func:`reassign_open` inside its own transaction;
every incident whose desk changes gets a ``reassigned`` entry in its trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from cases.dispatch import desk_for
from cases.models import CLOSED_STATUSES
from cases.sql import query
from geo.assign import place


@dataclass(frozen=True)
class Move:
    """One incident that changed hands."""

    code: str
    from_area_id: int
    to_area_id: int
    from_member_id: int | None
    to_member_id: int | None
    from_department_id: int
    to_department_id: int


def reassign_open(
    conn: Connection,
    area_ids: Sequence[int],
    generation: int,
    *,
    limit_m: float,
    actor: str = "system",
    reason: str = "边界调整",
) -> list[Move]:
    """Re-place the open incidents held by ``area_ids`` (any level) in ``generation``.

    Runs in the caller's transaction and locks the incidents it reads. Incidents whose area,
    member and department all stay the same are left untouched (their generation is updated).
    """
    rows = conn.execute(
        query("open_incidents_of_areas"),
        {"ids": list(area_ids), "closed": [s.value for s in CLOSED_STATUSES]},
    ).all()
    moves: list[Move] = []
    for row in rows:
        placement = place(conn, row.lon, row.lat, generation, limit_m)
        desk = desk_for(conn, placement, row.category_code)
        columns = desk.columns()
        conn.execute(query("update_incident_desk"), {"id": row.id, **columns})
        changed = (row.queue_area_id, row.member_id, row.department_id) != (
            columns["queue"],
            columns["member"],
            columns["department"],
        )
        if not changed:
            continue
        conn.execute(
            text(
                "INSERT INTO incident_event (incident_id, actor, kind, from_area_id, to_area_id, "
                "from_member_id, to_member_id, from_department_id, to_department_id, reason, data) "
                "VALUES (:id, :actor, 'reassigned', :from_area, :to_area, :from_member, "
                ":to_member, :from_department, :to_department, :reason, "
                "jsonb_build_object('generation', CAST(:generation AS int), "
                "'assignment', CAST(:assignment AS text)))"
            ),
            {
                "id": row.id,
                "actor": actor,
                "from_area": row.queue_area_id,
                "to_area": columns["queue"],
                "from_member": row.member_id,
                "to_member": columns["member"],
                "from_department": row.department_id,
                "to_department": columns["department"],
                "reason": reason,
                "generation": generation,
                "assignment": columns["assignment"],
            },
        )
        moves.append(
            Move(
                row.code,
                row.queue_area_id,
                columns["queue"],
                row.member_id,
                columns["member"],
                row.department_id,
                columns["department"],
            )
        )
    return moves
