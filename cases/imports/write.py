"""Writing accepted import rows set-wise, inside the caller's transaction.

All rows are placed at once (:func:`geo.assign_bulk.place_many`), given their departments and
grid workers with one statement (:func:`cases.dispatch.desks_for`), numbered
per year of China time (codes follow ``reported_at``), and then written with ``COPY``: the
incidents, and each one's trail. The trail starts with a ``reported`` event at ``reported_at``
that records where the incident landed; a row imported with a later status gets a plausible
chain of ``status`` events to it (:data:`PATHS`), spaced evenly and ending at ``status_at``.
A row imported as ``reported`` waits to be accepted: its ``step_due_at`` is ``reported_at``
plus the accept limit of its category on the working calendar (:func:`accept_deadlines`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import Connection, text

from cases import live
from cases.codes import reserve_codes
from cases.dispatch import desks_for
from cases.imports.rows import CHINA, Row
from cases.loop import calendar, limits
from cases.models import IncidentStatus as S
from geo.areas import current_generation
from geo.assign_bulk import ASSIGNMENTS, Placements, place_many
from geo.datum import Datum, to_storage
from geo.models import STORAGE_SRID

__all__ = ["PATHS", "storage_coordinates", "write_rows"]

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
    "step_due_at",
)  # fmt: skip
_EVENT_COLUMNS = (
    "incident_id", "incident_reported_at", "at", "actor", "kind", "from_status", "to_status",
    "to_area_id", "to_member_id", "to_department_id", "reason", "data",
)  # fmt: skip


def write_rows(
    conn: Connection,
    rows: Sequence[Row],
    *,
    source: str,
    limit_m: float,
    progress: Callable[[int], None] | None = None,
    actor: str = ACTOR,
    status_trail: bool = True,
) -> list[str]:
    """Write ``rows`` as incidents with their trails; return their codes, oldest first.

    ``progress`` is called with the number of rows written so far after each chunk. Without
    ``status_trail`` every incident is written as reported, its trail the ``reported`` entry.
    """
    if not rows:
        return []
    x, y = storage_coordinates(rows)
    placed = place_many(conn, x, y, current_generation(conn), limit_m)
    desks = desks_for(conn, [r.category for r in rows], placed)
    order = _oldest_first(rows)
    codes = _codes(conn, [rows[i] for i in order])
    ids = conn.execute(
        text(
            "SELECT nextval(pg_get_serial_sequence('incident', 'id')) FROM generate_series(1, :n)"
        ),
        {"n": len(rows)},
    ).scalars()
    incident_ids = sorted(int(i) for i in ids)
    accept_due = accept_deadlines(conn, rows, status_trail)
    raw = conn.connection.driver_connection
    assert raw is not None
    # The server checks each chunk's foreign keys and fills its indexes while the next chunk is
    # built here: one chunk in flight on a writer thread, which alone uses the connection.
    with ThreadPoolExecutor(1, thread_name_prefix="import-copy") as writer:
        in_flight: Future[None] | None = None
        for start in range(0, len(order), CHUNK):
            chunk = order[start : start + CHUNK]
            incidents, events = _Chunk(
                rows, chunk, incident_ids[start : start + CHUNK], codes[start : start + CHUNK],
                placed, x, y, desks.department_id, desks.time_limit_hours, desks.member_id,
                accept_due,
            ).text(source, actor, status_trail)  # fmt: skip
            if in_flight is not None:
                in_flight.result()
                if progress is not None:
                    progress(start)
            in_flight = writer.submit(_copy, raw, incidents, events)
        assert in_flight is not None
        in_flight.result()
    if progress is not None:
        progress(len(order))
    live.notify(conn, [live.imported(len(rows))])
    return codes


def accept_deadlines(conn: Connection, rows: Sequence[Row], status_trail: bool) -> list[str]:
    """Each row's accept deadline as COPY text: ``reported_at`` plus its category's accept
    limit (not urgent) on the working calendar for a row written as ``reported``, else null."""
    waiting = [not status_trail or r.status is S.REPORTED for r in rows]
    if not any(waiting):
        return [_NULL] * len(rows)
    cal = calendar.load(conn)
    accept = {
        c: limits.limit_for(conn, c, False, "accept")
        for c in {r.category for r, w in zip(rows, waiting, strict=True) if w}
    }
    return [
        cal.add(r.reported_at, accept[r.category].amount, accept[r.category].unit).isoformat()
        if w
        else _NULL
        for r, w in zip(rows, waiting, strict=True)
    ]


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


def _codes(conn: Connection, ordered: Sequence[Row]) -> list[str]:
    """Readable codes per year of China time, in the order of ``ordered``."""
    years = [r.reported_at.astimezone(CHINA).year for r in ordered]
    reserved = {
        year: iter(reserve_codes(conn, year, n)) for year, n in sorted(Counter(years).items())
    }
    return [next(reserved[year]) for year in years]


def _copy(raw: psycopg.Connection[Any], incidents: str, events: str) -> None:
    """One chunk's incidents, then their trail entries, as COPY text."""
    with raw.cursor() as cur:
        for table, columns, data in (
            ("incident", _INCIDENT_COLUMNS, incidents),
            ("incident_event", _EVENT_COLUMNS, events),
        ):
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(data)


_NULL = "\\N"
#: COPY text format: a backslash, tab, newline or carriage return inside a value is escaped.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str | None) -> str:
    return _NULL if value is None else value.translate(_ESCAPES)


def _ids(values: np.ndarray) -> list[str]:
    """Area or member ids as COPY text, 0 (none) as NULL."""
    return [str(v) if v else _NULL for v in values.tolist()]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _oldest_first(rows: Sequence[Row]) -> list[int]:
    """Row indexes by ``reported_at`` (to the microsecond, any offset), then line."""
    stamps = np.array([(r.reported_at - _EPOCH) // _MICROSECOND for r in rows], dtype=np.int64)
    lines = np.array([r.line for r in rows], dtype=np.int64)
    return np.lexsort((lines, stamps)).tolist()


@dataclass(frozen=True)
class _Chunk:
    """Rows ``order`` (indexes into the accepted rows and their placement columns), numbered
    ``ids`` and ``codes``, on their way into the tables as COPY text."""

    rows: Sequence[Row]
    order: list[int]
    ids: list[int]
    codes: list[str]
    placed: Placements
    x: np.ndarray
    y: np.ndarray
    departments: np.ndarray
    limits: np.ndarray
    members: np.ndarray
    accept_due: list[str]

    def text(self, source: str, actor: str, status_trail: bool = True) -> tuple[str, str]:
        """(incidents, trail entries): the ``reported`` event of each incident, then a
        ``status`` event per step of its row's path (none, and the status ``reported``,
        without ``status_trail``)."""
        at = np.array(self.order, dtype=np.intp)
        p = self.placed
        how = [ASSIGNMENTS[h].value for h in p.how[at].tolist()]
        distance = [_NULL if d != d else repr(d) for d in p.distance_m[at].tolist()]
        queue, member = p.queue_area_id[at].tolist(), _ids(self.members[at])
        department = self.departments[at].tolist()
        areas = [
            "\t".join(ids)
            for ids in zip(
                _ids(p.micro_grid_id[at]), _ids(p.grid_id[at]), _ids(p.village_id[at]),
                _ids(p.township_id[at]), strict=True,
            )
        ]  # fmt: skip
        hours = self.limits[at].tolist()
        xs, ys = self.x[at].tolist(), self.y[at].tolist()
        generation, source_text, actor_text = p.generation, _text(source), _text(actor)
        history, source_json = _text(json.dumps({"source": source})), _text(json.dumps(source))
        incidents: list[str] = []
        events: list[str] = []
        for k, i in enumerate(self.order):
            row, id_ = self.rows[i], self.ids[k]
            status = row.status if status_trail else S.REPORTED
            reported = row.reported_at
            occurred = _NULL if row.occurred_at is None else row.occurred_at.isoformat()
            deadline = (reported + timedelta(hours=hours[k])).isoformat()
            incidents.append(
                f"{id_}\t{self.codes[k]}\t{row.category}\t{_text(row.description)}\t"
                f"{occurred}\t{reported.isoformat()}\t{row.datum.value}\t"
                f"{row.raw_lon!r}\t{row.raw_lat!r}\t"
                f"SRID={STORAGE_SRID};POINT({xs[k]!r} {ys[k]!r})\t"
                f"{_text(row.reporter_name)}\t{_text(row.reporter_phone)}\t"
                f"{_text(row.reporter_id_number)}\t{status.value}\t{generation}\t"
                f"{areas[k]}\t{queue[k]}\t{how[k]}\t"
                f"{distance[k]}\t{member[k]}\t{department[k]}\t{deadline}\t{source_text}\t"
                f"{self.accept_due[i]}\n"
            )
            data = (
                f'{{"assignment": "{how[k]}", "distance_m": '
                f'{"null" if distance[k] == _NULL else distance[k]}, "source": {source_json}}}'
            )
            stamp = reported.isoformat()
            events.append(
                f"{id_}\t{stamp}\t{stamp}\t{actor_text}\treported\t{_NULL}\t"
                f"{S.REPORTED.value}\t{queue[k]}\t{member[k]}\t{department[k]}\t上报\t{data}\n"
            )
            path = PATHS[status]
            previous = S.REPORTED
            for step, status in zip(_steps(reported, row.status_at, len(path)), path, strict=True):
                events.append(
                    f"{id_}\t{stamp}\t{step.isoformat()}\t{actor_text}\tstatus\t{previous.value}\t"
                    f"{status.value}\t{_NULL}\t{_NULL}\t{_NULL}\t导入的历史记录\t{history}\n"
                )
                previous = status
        return "".join(incidents), "".join(events)


def _steps(start: datetime, end: datetime | None, n: int) -> list[datetime]:
    """``n`` increasing times after ``start``, evenly spaced, the last one at ``end``."""
    if n == 0:
        return []
    assert end is not None and end > start
    span = end - start
    return [start + span * k / n for k in range(1, n)] + [end]


assert all(path == () or path[-1] is status for status, path in PATHS.items())
