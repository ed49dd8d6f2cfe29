"""Writing accepted import rows set-wise, inside the caller's transaction.

All rows are placed at once (:func:`geo.assign_bulk.place_many`), routed with one statement
over the distinct (category, township) pairs, given their grid workers with another, numbered
per year of China time (codes follow ``reported_at``), and then written with ``COPY``: the
incidents, and each one's trail. The trail starts with a ``reported`` event at ``reported_at``
that records where the incident landed; a row imported with a later status gets a plausible
chain of ``status`` events to it (:data:`PATHS`), spaced evenly and ending at ``status_at``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from cases.codes import reserve_codes
from cases.import_rows import CHINA, Row
from cases.intake import NOTIFY_CHANNEL
from cases.models import IncidentStatus as S
from cases.sql import query
from geo.areas import current_generation
from geo.assign_bulk import Placements, PointPlacement, place_many
from geo.datum import Datum, to_storage
from geo.models import STORAGE_SRID

__all__ = ["PATHS", "grid_workers", "route", "storage_coordinates", "write_rows"]

#: The statuses an imported incident passes through after ``reported``, ending at its own.
PATHS: dict[S, tuple[S, ...]] = {
    S.REPORTED: (),
    S.ACCEPTED: (S.ACCEPTED,),
    S.VOID: (S.VOID,),
    S.FILED: (S.ACCEPTED, S.FILED),
    S.DISPATCHED: (S.DISPATCHED,),
    S.RETURNED: (S.DISPATCHED, S.RETURNED),
    S.IN_PROGRESS: (S.DISPATCHED, S.IN_PROGRESS),
    S.HANDLED: (S.DISPATCHED, S.IN_PROGRESS, S.HANDLED),
    S.REWORK: (S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.REWORK),
    S.HUNG: (S.DISPATCHED, S.HUNG),
    S.CLOSED: (S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.CLOSED),
    S.EVALUATED: (S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.CLOSED, S.EVALUATED),
    S.REOPENED: (S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.CLOSED, S.REOPENED),
}
ACTOR = "import"
CHUNK = 10_000

_INCIDENT_COLUMNS = (
    "id", "code", "category_code", "description", "occurred_at", "reported_at", "datum",
    "raw_lon", "raw_lat", "geom", "reporter_name", "reporter_phone", "reporter_id_number",
    "status", "generation_id",
    "micro_grid_id", "grid_id", "village_id", "township_id", "queue_area_id", "assignment",
    "assignment_distance_m", "member_id", "department_id", "deadline_at", "source",
)  # fmt: skip
_EVENT_COLUMNS = (
    "incident_id", "at", "actor", "kind", "from_status", "to_status", "to_area_id",
    "to_member_id", "to_department_id", "reason", "data",
)  # fmt: skip


def write_rows(
    conn: Connection,
    rows: Sequence[Row],
    *,
    source: str,
    limit_m: float,
    progress: Callable[[int], None] | None = None,
    actor: str = ACTOR,
) -> list[str]:
    """Write ``rows`` as incidents with their trails; return their codes, oldest first.

    ``progress`` is called with the number of rows written so far after each chunk.
    """
    if not rows:
        return []
    x, y = storage_coordinates(rows)
    placed = place_many(conn, x, y, current_generation(conn), limit_m)
    departments, limits = route(conn, [r.category for r in rows], placed)
    members = grid_workers(conn, placed)
    order = sorted(range(len(rows)), key=lambda i: (rows[i].reported_at, rows[i].line))
    codes = _codes(conn, [rows[i] for i in order])
    ids = conn.execute(
        text(
            "SELECT nextval(pg_get_serial_sequence('incident', 'id')) FROM generate_series(1, :n)"
        ),
        {"n": len(rows)},
    ).scalars()
    incident_ids = sorted(int(i) for i in ids)
    raw = conn.connection.driver_connection
    assert raw is not None
    for start in range(0, len(order), CHUNK):
        incidents: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        for k in range(start, min(start + CHUNK, len(order))):
            i = order[k]
            new = _New(
                rows[i], incident_ids[k], placed[i], float(x[i]), float(y[i]),
                int(departments[i]), _opt(members[i]),
            )  # fmt: skip
            incidents.append(new.incident(codes[k], source, placed.generation, int(limits[i])))
            events.extend(new.trail(source, actor))
        with raw.cursor() as cur:
            for table, columns, values in (
                ("incident", _INCIDENT_COLUMNS, incidents),
                ("incident_event", _EVENT_COLUMNS, events),
            ):
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row(value)
        if progress is not None:
            progress(start + len(incidents))
    conn.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": NOTIFY_CHANNEL, "payload": json.dumps({"kind": "import", "count": len(rows)})},
    )
    return codes


def _opt(value: Any) -> int | None:
    return int(value) or None


def storage_coordinates(rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000 coordinates of every row, converted as one array per datum."""
    x = np.array([r.raw_lon for r in rows], dtype=np.float64)
    y = np.array([r.raw_lat for r in rows], dtype=np.float64)
    datums = np.array([r.datum.value for r in rows])
    for datum in Datum:
        mask = datums == datum.value
        if mask.any() and datum is not Datum.CGCS2000:
            x[mask], y[mask] = to_storage(x[mask], y[mask], datum)
    return x, y


def route(
    conn: Connection, categories: Sequence[str], placed: Placements
) -> tuple[np.ndarray, np.ndarray]:
    """Department and time limit per placed point of ``categories``, in one statement."""
    townships = placed.township_id.tolist()
    pairs = sorted(set(zip(categories, townships, strict=True)))
    found = conn.execute(
        query("import_routing"),
        {"categories": [c for c, _ in pairs], "townships": [t or None for _, t in pairs]},
    ).all()
    by_pair = {pairs[r.n - 1]: (r.department_id, r.time_limit_hours) for r in found}
    routed = [by_pair[pair] for pair in zip(categories, townships, strict=True)]
    return (
        np.array([d for d, _ in routed], dtype=np.int64),
        np.array([h for _, h in routed], dtype=np.int64),
    )


def grid_workers(conn: Connection, placed: Placements) -> np.ndarray:
    """The grid worker of each placed row's grid; 0 for queue incidents (no grid)."""
    grids = np.unique(placed.grid_id[placed.grid_id != 0])
    rows = conn.execute(query("import_grid_workers"), {"grids": grids.tolist()}).all()
    worker = np.zeros(len(grids), dtype=np.int64)
    if rows:
        found = np.searchsorted(grids, np.array([r.grid_id for r in rows], dtype=np.int64))
        worker[found] = [r.member_id for r in rows]
    at = np.searchsorted(grids, placed.grid_id).clip(0, max(len(grids) - 1, 0))
    hit = (placed.grid_id != 0) & (len(grids) > 0)
    return np.where(hit, worker[at] if len(grids) else 0, 0).astype(np.int64)


def _codes(conn: Connection, ordered: Sequence[Row]) -> list[str]:
    """Readable codes per year of China time, in the order of ``ordered``."""
    years = [r.reported_at.astimezone(CHINA).year for r in ordered]
    reserved = {
        year: iter(reserve_codes(conn, year, n)) for year, n in sorted(Counter(years).items())
    }
    return [next(reserved[year]) for year in years]


@dataclass(frozen=True)
class _New:
    """One accepted row on its way into the tables."""

    row: Row
    id: int
    spot: PointPlacement
    x: float
    y: float
    department_id: int
    member_id: int | None

    def incident(self, code: str, source: str, generation: int, hours: int) -> tuple[Any, ...]:
        row, spot = self.row, self.spot
        return (
            self.id, code, row.category, row.description, row.occurred_at, row.reported_at,
            row.datum.value, row.raw_lon, row.raw_lat,
            f"SRID={STORAGE_SRID};POINT({self.x!r} {self.y!r})",
            row.reporter_name, row.reporter_phone, row.reporter_id_number, row.status.value,
            generation,
            spot.micro_grid_id, spot.grid_id, spot.village_id, spot.township_id,
            spot.queue_area_id, spot.assignment.value, spot.distance_m, self.member_id,
            self.department_id, row.reported_at + timedelta(hours=hours), source,
        )  # fmt: skip

    def trail(self, source: str, actor: str = ACTOR) -> list[tuple[Any, ...]]:
        """The ``reported`` event, then a ``status`` event per step of the row's path."""
        row, spot = self.row, self.spot
        data = {
            "assignment": spot.assignment.value,
            "distance_m": spot.distance_m,
            "source": source,
        }
        events: list[tuple[Any, ...]] = [
            (
                self.id, row.reported_at, actor, "reported", None, S.REPORTED.value,
                spot.queue_area_id, self.member_id, self.department_id, "上报", json.dumps(data),
            )
        ]  # fmt: skip
        path = PATHS[row.status]
        previous = S.REPORTED
        for at, status in zip(_steps(row.reported_at, row.status_at, len(path)), path, strict=True):
            events.append(
                (
                    self.id, at, actor, "status", previous.value, status.value, None, None, None,
                    "导入的历史记录", json.dumps({"source": source}),
                )
            )  # fmt: skip
            previous = status
        return events


def _steps(start: datetime, end: datetime | None, n: int) -> list[datetime]:
    """``n`` increasing times after ``start``, evenly spaced, the last one at ``end``."""
    if n == 0:
        return []
    assert end is not None and end > start
    span = end - start
    return [start + span * k / n for k in range(1, n)] + [end]


assert all(path == () or path[-1] is status for status, path in PATHS.items())
