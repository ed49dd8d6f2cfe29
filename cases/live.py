"""The live map's messages: one PostgreSQL channel, and the shape of every event sent on it.

Whatever changes incidents queues a ``NOTIFY`` on :data:`CHANNEL` inside its own transaction
(PostgreSQL delivers it only on commit); each API worker listens and relays it as a
Server-Sent Event of ``GET /api/v1/stream`` named by the message's ``kind``
(``api/broadcast.py``). The messages carry no personal data. Events:

``created``: a new incident (intake: the native API and Open311)
    ``{"kind", "code", "status", "category", "micro_grid", "lon", "lat", "queue_area",
    "department"}``; ``micro_grid`` is a code or null (a queued incident), ``lon``/``lat``
    CGCS2000, ``queue_area`` the code of the area holding it, ``department`` the code of the
    department it is routed to.
``changed``: an open incident re-assigned (a publication moved it), one event per incident
    ``{"kind", "code", "status", "micro_grid", "lon", "lat", "queue_area", "department",
    "from_queue_area", "from_department"}``, the ``from_`` pair being the desk it left. One
    event each, not a batch: a notification holds at most 8,000 bytes, and each event reaches
    exactly the callers whose scope holds the incident's old or new desk. A publication that
    moves more incidents than a stream's queue holds gets that stream a ``reset`` instead.
``whistle``: a whistle blown, acknowledged, checked in at, left, released or overdue
    ``{"kind", "event", "id", "code", "status", "queue_area", "departments", "department",
    "judgement", "overdue", "lon", "lat"}``: ``event`` is ``blown``, ``acknowledged``,
    ``checked_in``, ``left``, ``released`` or ``overdue``; ``id`` the whistle's, ``code`` the
    case's; ``status`` the whistle's (open, released, closed); ``queue_area`` the code of the
    case's area; ``departments`` the codes of every department summoned; ``department`` the
    one that acted (or null), ``judgement`` its check-in's (on_time, late, outside; or null);
    ``overdue`` the departments an ``overdue`` event is about (else empty); ``lon``/``lat``
    CGCS2000, the meeting point or else the case's. It reaches the callers whose scope holds
    the case's area with one of the summoned departments (:func:`desks`).
``ranking``: a quarter's ranking published (frozen) ``{"kind", "quarter", "ranking",
    "township"}``: ``ranking`` is its kind (township, department, village), ``township`` the
    township of a village ranking (else null). News for everyone (:func:`desks`): it names no
    case, and who may read the ranking is the rankings API's business.
``import``: a bulk import committed ``{"kind", "count"}``; callers narrower than the whole
    banner get it without ``count`` (:func:`narrowed`).
``reset``: reload what you show ``{"kind", "reason"}``; sent by a worker to its own streams
    (one fell behind, the listener reconnected, or the stream itself reconnected:
    ``api/routers/stream.py``), never on the channel.

Examples
--------
>>> imported(7), narrowed(imported(7))
({'kind': 'import', 'count': 7}, {'kind': 'import'})
>>> desks({"kind": "changed", "queue_area": "1506210010010101", "department": "D02",
...        "from_queue_area": "1506210010010102", "from_department": "D02"})
[('1506210010010101', 'D02'), ('1506210010010102', 'D02')]
>>> desks(imported(7)) is None
True
>>> published("2024-Q4", "township", None), desks(published("2024-Q4", "township", None))
({'kind': 'ranking', 'quarter': '2024-Q4', 'ranking': 'township', 'township': None}, None)
>>> desks({"kind": "whistle", "queue_area": "150621001001", "departments": ["D02", "D05"]})
[('150621001001', 'D02'), ('150621001001', 'D05')]
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from cases.models import IncidentStatus
from cases.sql import query
from geo.assign import Placement
from geo.points import StoragePoint

#: The ``LISTEN``/``NOTIFY`` channel of the live map.
CHANNEL = "incidents"


class Event(enum.StrEnum):
    """The ``kind`` of a message, and the name of its Server-Sent Event."""

    CREATED = "created"
    CHANGED = "changed"
    IMPORT = "import"
    WHISTLE = "whistle"
    RESET = "reset"
    RANKING = "ranking"


def created(
    code: str, category: str, point: StoragePoint, placement: Placement, department: str
) -> dict[str, Any]:
    """A new incident, from what the intake decided (not from its answer to the client)."""
    queue = next(c for i, c, _ in placement.areas.values() if i == placement.queue_area_id)
    return {
        "kind": Event.CREATED.value,
        "code": code,
        "status": IncidentStatus.REPORTED.value,
        "category": category,
        "micro_grid": placement.area_code("micro_grid"),
        "lon": point.lon,
        "lat": point.lat,
        "queue_area": queue,
        "department": department,
    }


def changed(row: Any) -> dict[str, Any]:
    """An incident that changed hands, from a row of ``sql/live_changed.sql``."""
    fields = ("code", "status", "micro_grid", "lon", "lat", "queue_area", "department")
    return {"kind": Event.CHANGED.value, **{f: getattr(row, f) for f in fields}} | {
        "from_queue_area": row.from_queue_area,
        "from_department": row.from_department,
    }


def whistle(
    event: str,
    view: dict[str, Any],
    department: str | None = None,
    judgement: str | None = None,
    overdue: Sequence[str] = (),
) -> dict[str, Any]:
    """A whistle's ``event``, from the whistle as :func:`cases.whistle.read.whistle` answers
    it (codes and states only: no names, no free text)."""
    return {
        "kind": Event.WHISTLE.value,
        "event": event,
        "id": view["id"],
        "code": view["code"],
        "status": view["status"],
        "queue_area": view["area_code"],
        "departments": [d["code"] for d in view["departments"]],
        "department": department,
        "judgement": judgement,
        "overdue": list(overdue),
        "lon": view["point"]["lon"],
        "lat": view["point"]["lat"],
    }


def published(quarter: str, ranking: str, township: str | None) -> dict[str, Any]:
    """A quarter's ``ranking`` (township, department or village: of ``township``) frozen."""
    return {
        "kind": Event.RANKING.value,
        "quarter": quarter,
        "ranking": ranking,
        "township": township,
    }


def imported(count: int) -> dict[str, Any]:
    """A bulk import of ``count`` incidents."""
    return {"kind": Event.IMPORT.value, "count": count}


def reset(reason: str) -> dict[str, Any]:
    """Reload what you show (``behind``, ``reconnected``: the listener or the stream)."""
    return {"kind": Event.RESET.value, "reason": reason}


def narrowed(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` as a caller narrower than the whole banner gets it: an import's row count
    is the whole banner's, so it is left out."""
    return {"kind": Event.IMPORT.value} if message.get("kind") == Event.IMPORT else message


def desks(message: dict[str, Any]) -> list[tuple[str, str | None]] | None:
    """The (queue area code, department code) pairs a message concerns: a caller hears it
    when one of them lies inside their scope. None: everyone hears it (import, reset)."""
    if message.get("kind") in (Event.IMPORT, Event.RESET, Event.RANKING):
        return None
    if message.get("kind") == Event.WHISTLE:
        area = str(message.get("queue_area", ""))
        return [(area, str(d)) for d in message.get("departments") or []]
    found = [(str(message.get("queue_area", "")), message.get("department"))]
    if "from_queue_area" in message:
        found.append((str(message["from_queue_area"]), message.get("from_department")))
    return found


def payload(message: dict[str, Any]) -> str:
    """The text of a notification."""
    return json.dumps(message, ensure_ascii=False)


def notify(conn: Connection, messages: Sequence[dict[str, Any]]) -> None:
    """Queue ``messages`` on :data:`CHANNEL` in one statement; sent if the caller commits."""
    if messages:
        payloads = json.dumps([payload(m) for m in messages], ensure_ascii=False)
        conn.execute(query("live_notify"), {"channel": CHANNEL, "payloads": payloads})


def notify_changed(
    conn: Connection,
    incident_ids: Sequence[int],
    from_areas: Sequence[int],
    from_departments: Sequence[int],
) -> None:
    """Queue a ``changed`` event for each incident re-assigned in this transaction, with the
    queue area and department it came from."""
    if not incident_ids:
        return
    moved = json.dumps(list(zip(incident_ids, from_areas, from_departments, strict=True)))
    rows = conn.execute(query("live_changed"), {"moved": moved})
    notify(conn, [changed(r) for r in rows])
