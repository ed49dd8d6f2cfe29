"""Re-assignment: move the open incidents of some areas onto another generation's layout.

Publishing a new boundary generation calls :func:`reassign_open` inside its own transaction;
every incident whose desk changes gets a ``reassigned`` entry in its trail, and the open live
maps a ``changed`` event for it (:mod:`cases.live`, sent on commit).

The incidents are re-placed set-wise, with the rules of :func:`geo.assign.place`
(:func:`geo.assign_bulk.place_many`), given their departments and grid workers with one
statement by the rules every incident is dispatched by (:func:`cases.dispatch.desks_for`), and
written back with one ``UPDATE`` from a ``COPY``-filled temporary table and one
``INSERT … SELECT`` for the trail: a constant number of statements, however many incidents
move (``bench/`` P9).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text

from cases import live
from cases.dispatch import desks_for
from cases.models import CLOSED_STATUSES
from cases.redraw.sql import query
from geo.assign_bulk import ASSIGNMENTS, place_many


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


_DESKS = """
CREATE TEMP TABLE reassign_desk (
    id bigint PRIMARY KEY, micro_grid integer, grid integer, village integer,
    township integer, queue integer, assignment varchar(16), distance float8,
    member integer, department integer, changed boolean
) ON COMMIT DROP
"""
_UPDATE = """
UPDATE incident i
SET generation_id = :generation, micro_grid_id = d.micro_grid, grid_id = d.grid,
    village_id = d.village, township_id = d.township, queue_area_id = d.queue,
    assignment = d.assignment, assignment_distance_m = d.distance, member_id = d.member,
    department_id = d.department
FROM reassign_desk d
WHERE i.id = d.id
"""
_TRAIL = """
INSERT INTO incident_event (incident_id, incident_reported_at, actor, kind, from_area_id,
    to_area_id, from_member_id, to_member_id, from_department_id, to_department_id, reason, data)
SELECT d.id, o.reported_at, :actor, 'reassigned', o.queue_area_id, d.queue, o.member_id, d.member,
       o.department_id, d.department, :reason,
       jsonb_build_object('generation', CAST(:generation AS int),
                          'assignment', CAST(d.assignment AS text))
FROM reassign_desk d
JOIN reassign_old o ON o.id = d.id
WHERE d.changed
ORDER BY d.id
"""


def _opt(value: int) -> int | None:
    return int(value) or None


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
    if not rows:
        return []
    x = np.array([r.lon for r in rows], dtype=np.float64)
    y = np.array([r.lat for r in rows], dtype=np.float64)
    placed = place_many(conn, x, y, generation, limit_m)
    desks = desks_for(conn, [r.category_code for r in rows], placed)
    departments, members = desks.department_id, desks.member_id
    assigned = placed.micro_grid_id != 0
    old = [(r.queue_area_id, r.member_id or 0, r.department_id) for r in rows]
    new = list(
        zip(placed.queue_area_id.tolist(), members.tolist(), departments.tolist(), strict=True)
    )
    changed = [a != b for a, b in zip(old, new, strict=True)]
    conn.exec_driver_sql("DROP TABLE IF EXISTS pg_temp.reassign_desk, pg_temp.reassign_old")
    conn.exec_driver_sql(_DESKS)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE reassign_old (id bigint PRIMARY KEY, queue_area_id integer, "
        "member_id integer, department_id integer, reported_at timestamptz) ON COMMIT DROP"
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        with cur.copy("COPY reassign_desk FROM STDIN") as copy:
            for i, r in enumerate(rows):
                distance = float(placed.distance_m[i])
                copy.write_row(
                    (
                        r.id, _opt(placed.micro_grid_id[i]),
                        _opt(placed.grid_id[i]) if assigned[i] else None,
                        _opt(placed.village_id[i]) if assigned[i] else None,
                        _opt(placed.township_id[i]), int(placed.queue_area_id[i]),
                        ASSIGNMENTS[int(placed.how[i])].value,
                        None if math.isnan(distance) else distance,
                        _opt(members[i]), int(departments[i]), changed[i],
                    )
                )  # fmt: skip
        with cur.copy("COPY reassign_old FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r.id, r.queue_area_id, r.member_id, r.department_id, r.reported_at))
    params = {"generation": generation, "actor": actor, "reason": reason}
    conn.execute(text(_UPDATE), params)
    conn.execute(text(_TRAIL), params)
    conn.exec_driver_sql("DROP TABLE reassign_desk, reassign_old")
    moved = [r for r, c in zip(rows, changed, strict=True) if c]
    live.notify_changed(
        conn,
        [r.id for r in moved],
        [r.queue_area_id for r in moved],
        [r.department_id for r in moved],
    )
    return [
        Move(r.code, r.queue_area_id, n[0], r.member_id, _opt(n[1]), r.department_id, n[2])
        for r, n, c in zip(rows, new, changed, strict=True)
        if c
    ]
