"""Reading incidents: filtered lists with a stable cursor, one incident with its trail.

Every read takes the caller's :class:`~geo.scope.Scope` and filters by it in SQL: the code of
the area holding the incident (its queue area: the micro-grid, or the township or banner it
waits in) must lie inside the scope's area, and for department staff the incident must be
routed to their department. An incident outside the scope is "does not exist", exactly as a
missing one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cases.models import IncidentStatus
from cases.sql import query
from cases.views import as_seen_by, incident_view, view
from geo.db import Statement
from geo.errors import InvalidInput, NotFound
from geo.members import find_member
from geo.privacy import mask_strings, mask_text
from geo.scope import Scope

MAX_PAGE = 500


@dataclass(frozen=True)
class IncidentFilter:
    """What to list. Every field is optional; ``area`` is a code at any level."""

    bbox: tuple[float, float, float, float] | None = None
    area: str | None = None
    statuses: tuple[str, ...] = ()
    category: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    member_id: int | None = None
    department: str | None = None
    generation: int | None = None
    #: ``soon`` (the current step due within 48 hours) or ``overdue``.
    due: str | None = None
    #: A supervision card: ``yellow`` or ``red``.
    card: str | None = None

    def validate(self) -> IncidentFilter:
        for status in self.statuses:
            if status not in IncidentStatus.__members__.values():
                choices = ", ".join(s.value for s in IncidentStatus)
                raise InvalidInput("status", f"unknown status {status!r}; expected {choices}")
        if self.category is not None and not (
            self.category.isdigit() and len(self.category) in (2, 4)
        ):
            raise InvalidInput("category", f"{self.category!r} is not a 2- or 4-digit code")
        if self.area is not None and not self.area.isdigit():
            raise InvalidInput("area", f"{self.area!r} is not an area code")
        if self.due not in (None, "soon", "overdue"):
            raise InvalidInput("due", f"expected soon or overdue, got {self.due!r}")
        if self.card not in (None, "yellow", "red"):
            raise InvalidInput("card", f"expected yellow or red, got {self.card!r}")
        if self.reported_from and self.reported_to and self.reported_from > self.reported_to:
            raise InvalidInput("from", "must not be after 'to'")
        return self


@dataclass(frozen=True)
class IncidentPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(reported_at: datetime, incident_id: int) -> str:
    raw = f"{reported_at.isoformat()}|{incident_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, incident_id = raw.split("|")
        return datetime.fromisoformat(stamp), int(incident_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor", "is not a cursor this service handed out") from None


def list_incidents(
    conn: Connection,
    where: IncidentFilter,
    *,
    scope: Scope,
    limit: int = 100,
    cursor: str | None = None,
) -> IncidentPage:
    """Incidents inside ``scope`` matching ``where``, newest first, one page at a time.

    The cursor is the position (reported_at, id) of the last item, so pages stay stable while
    new incidents arrive. ``area`` matches the code of the area holding an incident; with a
    ``generation`` it matches the incidents inside that area's boundary in that generation
    (time travel: the layout of the day, whatever the incidents were re-assigned to since).
    """
    where.validate()
    area_geom = None
    if where.area is not None and where.generation is not None:
        area_geom = conn.execute(
            query("area_geom"),
            {"code": where.area, "g": where.generation},
        ).scalar_one_or_none()
        if area_geom is None:
            raise NotFound(f"area {where.area} does not exist in generation {where.generation}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE}, got {limit}")
    after_at, after_id = decode_cursor(cursor) if cursor else (None, None)
    xmin, ymin, xmax, ymax = where.bbox or (None, None, None, None)
    rows = conn.execute(
        query("incident_list"),
        {
            "xmin": xmin,
            "ymin": ymin,
            "xmax": xmax,
            "ymax": ymax,
            "area": where.area,
            "g": where.generation,
            "area_geom": area_geom,
            "statuses": list(where.statuses) or None,
            "category": where.category,
            "from_": where.reported_from,
            "to_": where.reported_to,
            "member": where.member_id,
            "department": where.department,
            "due": where.due,
            "card": where.card,
            "after_at": after_at,
            "after_id": after_id,
            "limit": limit + 1,
            **scope.params(),
        },
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].reported_at, rows[-1].id) if more else None
    return IncidentPage([view(r) for r in rows], next_cursor)


def incidents_by_ids(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """The incidents ``ids`` (already filtered by the caller's scope) as the list shows them,
    newest first: the cases behind an indicator (:mod:`cases.indicators.compute`)."""
    return [view(r) for r in conn.execute(query("incident_by_ids"), {"ids": ids})]


def _find(conn: Connection, code: str, scope: Scope) -> Any:
    found = conn.execute(query("incident_find"), {"code": code, **scope.params()}).one_or_none()
    if found is None:
        raise NotFound(f"incident {code} does not exist")
    return found


def incident_id(conn: Connection, code: str, *, scope: Scope) -> int:
    """The id of incident ``code`` inside ``scope``; NotFound otherwise."""
    return int(_find(conn, code, scope).id)


def reporter(conn: Connection, code: str, *, scope: Scope) -> dict[str, str | None]:
    """The clear reporter data of incident ``code`` inside ``scope``, for an audited reveal."""
    found = _find(conn, code, scope)
    return {
        "reporter_name": found.reporter_name,
        "reporter_phone": found.reporter_phone,
        "reporter_id_number": found.reporter_id_number,
    }


#: What a reporter reads of the trail of a report they filed outside their scope: when its
#: status changed, and nothing of who or where.
_STATUS_ONLY = ("at", "kind", "from_status", "to_status")


def get_incident(
    conn: Connection, code: str, *, scope: Scope, filed_by: str | None = None
) -> dict[str, Any]:
    """The incident ``code`` (inside ``scope``) with its whole event trail, oldest first.

    One that ``filed_by`` (a username) reported outside the scope is read too, cut to what the
    scope may see (:func:`cases.views.as_seen_by`) and its trail to the status changes.
    """
    try:
        found = incident_id(conn, code, scope=scope)
    except NotFound:
        filed = None
        if filed_by is not None:
            filed = conn.execute(
                query("incident_filed_by"), {"code": code, "reporter": filed_by}
            ).scalar_one_or_none()
        if filed is None:
            raise
        incident = as_seen_by(incident_view(conn, filed), scope)
        incident["events"] = [
            {k: (v if k in _STATUS_ONLY else None) for k, v in event.items()}
            for event in events(conn, filed)
        ]
        return incident
    incident = incident_view(conn, found)
    incident["events"] = events(conn, found)
    return incident


def events(conn: Connection, incident: int) -> list[dict[str, Any]]:
    return [event_view(r) for r in conn.execute(query("incident_events"), {"id": incident})]


def event_view(r: Any) -> dict[str, Any]:
    """One trail entry (a row of ``incident_events.sql``) as clients see it."""
    return {
        "at": r.at.isoformat(),
        "actor": r.actor,
        "kind": r.kind,
        "action": r.action,
        "attachments": r.attachments,
        "from_status": r.from_status,
        "to_status": r.to_status,
        "from_area": r.from_area,
        "to_area": r.to_area,
        "from_member_id": r.from_member_id,
        "to_member_id": r.to_member_id,
        "from_department": r.from_department,
        "to_department": r.to_department,
        "reason": mask_text(r.reason),
        "data": mask_strings(r.data),
    }


def member_exists(conn: Connection, member_id: int, *, scope: Scope) -> None:
    """NotFound unless member ``member_id`` serves an area inside ``scope``'s area."""
    find_member(conn, member_id, scope=scope)


def answer_statement(incident_id: int, reported_at: datetime) -> Statement:
    """The one statement of incident ``incident_id`` (reported at ``reported_at``, which names
    its partition) with its area chain and trail (as ``GET`` shows it to the whole banner);
    :func:`answer_of` makes the incident of its rows."""
    return query("incident_answer"), {"id": incident_id, "reported_at": reported_at}


def answer_of(rows: Sequence[Any]) -> dict[str, Any]:
    """The incident of the rows of :func:`answer_statement`."""
    if not rows:
        raise NotFound("the incident does not exist")
    incident = view(rows[0], rows[0].chain)
    incident["events"] = [event_view(_Entry(r)) for r in rows if r.e_at is not None]
    return incident


class _Entry:
    """A trail entry's columns of an ``incident_answer`` row, without their ``e_`` prefix."""

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, f"e_{name}")
