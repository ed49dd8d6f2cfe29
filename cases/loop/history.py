"""The sample history's trails (``sample_data/trails.csv``), written after its incidents.

The sample loader (:mod:`cases.sample`) imports ``incidents.csv`` as reported cases, each with
its ``reported`` trail entry alone (``status_trail=False``), and hands the codes to
:func:`write_trails`, which writes the rest: each case's action and supervision entries as
the generator (:mod:`sample_data.trails`) produced them, and the columns they set (status,
level, closed level, card, delay, handling clock, deadlines, transfers, reopenings, evaluation,
version), by replaying the trail through the transition table (:func:`cases.loop.replay.replay`)
on the database's calendar and time limits. A trail the table refuses stops the load
(:class:`cases.loop.replay.Illegal`): the sample cannot hold a case no action could make.
The cards also get their ``supervision_notice`` rows, so the sweep does not issue them again.

Only the sample comes this way; a user's import keeps the importer's plain status trail.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from cases.loop import calendar
from cases.loop.limits import Limit
from cases.loop.replay import Case, Clock, Entry, State, start, step
from cases.loop.sql import query
from geo.models import STORAGE_SRID

__all__ = ["clock", "read_trails", "write_trails"]

#: Actions that record where the grid worker stood: the case's point.
_WHERE = frozenset({"self_handle", "verify"})
_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_EVENT_COLUMNS = (
    "incident_id", "at", "actor", "kind", "action", "from_status", "to_status",
    "from_department_id", "to_department_id", "reason", "data", "where_geom", "due_at",
    "deadline_at",
)  # fmt: skip


def read_trails(path: Path) -> dict[int, list[tuple[Entry, str]]]:
    """``trails.csv`` as (entry, reason) by incident line (1 = the first data row)."""
    out: dict[int, list[tuple[Entry, str]]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            data = json.loads(r["data"]) if r["data"] else {}
            entry = Entry(r["action"], datetime.fromisoformat(r["at"]), r["actor"], data, r["kind"])
            out.setdefault(int(r["line"]), []).append((entry, r["reason"]))
    return out


def clock(conn: Connection) -> Clock:
    """The database's calendar and every resolved time limit."""
    limits = {
        (r.category_code, r.urgent, r.step): Limit(
            Decimal(r.amount), r.unit, r.yellow_after, r.red_after
        )
        for r in conn.execute(query("history_limits"))
    }
    return Clock(calendar.load(conn), limits)


def write_trails(conn: Connection, codes: Sequence[str], path: Path) -> dict[str, int]:
    """Write the trails of ``path`` for the incidents ``codes`` (``codes[k]`` is line k + 1)
    and set what they lead to; how many entries and cases were written."""
    trails = read_trails(path)
    rows = {r.code: r for r in conn.execute(query("history_cases"), {"codes": list(codes)})}
    the_clock = clock(conn)
    events: list[str] = []
    finals: list[tuple[int, State]] = []
    notices: list[tuple[int, str, str, datetime]] = []
    for line, code in enumerate(codes, 1):
        trail = trails.get(line, [])
        if not trail:
            continue
        row = rows[code]
        case = Case(row.category_code, row.urgent, row.sensitive, row.reported_at, row.deadline_at)
        state, previous = start(case), None
        for n, (entry, reason) in enumerate(trail, 1):
            after = step(case, state, entry, the_clock, n, previous)
            previous = entry
            events.append(_event(row, entry, reason, state, after))
            if entry.kind == "supervision":
                notices.append(
                    (row.id, str(entry.data["card"]), str(entry.data["due_at"]), entry.at)
                )
            state = after
        finals.append((row.id, state))
    _copy_events(conn, "".join(events))
    _update(conn, finals)
    if notices:
        conn.execute(
            query("history_notices"),
            {
                k: [n[i] for n in notices]
                for i, k in enumerate(("incident_id", "kind", "due_at", "at"))
            },
        )
    return {"entries": len(events), "cases": len(finals)}


def _text(value: str | None) -> str:
    return _NULL if value is None else value.translate(_ESCAPES)


def _event(row: Any, entry: Entry, reason: str, before: State, after: State) -> str:
    data: dict[str, Any] = dict(entry.data)
    if after.level != before.level:
        data["level"] = {"from": before.level, "to": after.level}
    where = (
        f"SRID={STORAGE_SRID};POINT({row.x!r} {row.y!r})"
        if entry.kind == "action" and entry.action in _WHERE
        else _NULL
    )
    department = _NULL if row.department_id is None else str(row.department_id)
    return "\t".join(
        (
            str(row.id), entry.at.isoformat(), _text(entry.actor_role), entry.kind, entry.action,
            before.status, after.status, department, department, _text(reason or None),
            _text(json.dumps(data, ensure_ascii=False)) if data else _NULL, where,
            *(_NULL if t is None else t.isoformat() for t in _deadlines(entry, before, after)),
        )
    ) + "\n"  # fmt: skip


def _deadlines(
    entry: Entry, before: State, after: State
) -> tuple[datetime | None, datetime | None]:
    """The deadlines an action's entry records (as :func:`cases.loop.actions._write`): the
    step deadline it answered and the handling deadline after it; none for a notice."""
    if entry.kind != "action":
        return None, None
    return before.step_due_at, after.deadline_at


def _copy_events(conn: Connection, text: str) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        columns = ", ".join(_EVENT_COLUMNS)
        with cur.copy(f"COPY incident_event ({columns}) FROM STDIN") as copy:
            copy.write(text)


_COLUMNS = (
    "status", "level", "closed_level", "card", "delay_state", "handling_started_at",
    "hung_since", "step_due_at", "deadline_at", "transfers", "reopened_count", "evaluation",
    "version",
)  # fmt: skip


def _update(conn: Connection, finals: Sequence[tuple[int, State]]) -> None:
    params: Mapping[str, list[Any]] = {
        "id": [i for i, _ in finals],
        **{c: [getattr(s, c) for _, s in finals] for c in _COLUMNS},
    }
    conn.execute(query("history_update"), params)
