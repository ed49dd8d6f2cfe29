"""Incidents as clients see them: personal data masked, the assignment spelled out.

Names (the reporter's and the responsible member's), phones and ID numbers leave masked; the
clear values are only handed out by ``POST /incidents/{code}/reveal`` (:mod:`api.reveal`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from cases.models import IncidentStatus
from cases.sql import query
from geo.areas import chain
from geo.assign import Assignment
from geo.errors import NotFound
from geo.privacy import mask_id_number, mask_name, mask_phone


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def view(row: Any, links: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One row of ``incident_view.sql`` as the API's incident object."""
    status = IncidentStatus(row.status)
    assignment = Assignment(row.assignment)
    reporter = None
    if row.reporter_name or row.reporter_phone or row.reporter_id_number:
        reporter = {
            "name": mask_name(row.reporter_name),
            "phone": mask_phone(row.reporter_phone),
            "id_number": mask_id_number(row.reporter_id_number),
        }
    member = None
    if row.member_id is not None:
        member = {
            "id": row.member_id,
            "name": mask_name(row.member_name),
            "kind": row.member_kind,
            "phone": mask_phone(row.member_phone),
        }
    out: dict[str, Any] = {
        "code": row.code,
        "status": status.value,
        "status_label": status.label,
        "category": {
            "code": row.category_code,
            "name": row.category_name,
            "major_code": row.major_code,
            "major_name": row.major_name,
            "sensitive": row.sensitive,
        },
        "description": row.description,
        "occurred_at": _iso(row.occurred_at),
        "reported_at": _iso(row.reported_at),
        "deadline_at": _iso(row.deadline_at),
        "location": {
            "lon": row.raw_lon,
            "lat": row.raw_lat,
            "datum": row.datum,
            "cgcs2000": {"lon": round(row.lon, 9), "lat": round(row.lat, 9)},
        },
        "reporter": reporter,
        "media": row.media,
        "assignment": {
            "kind": assignment.value,
            "flagged": assignment.flagged,
            "distance_m": row.assignment_distance_m,
            "tied_codes": list(row.tied_codes or []),
            "generation": row.generation_id,
            "queue_area": {
                "code": row.queue_code,
                "name": row.queue_name,
                "level": row.queue_level,
            },
        },
        "responsible": {
            "member": member,
            "department": {"code": row.department_code, "name": row.department_name},
        },
        "source": row.source,
        "version": row.version,
        "urgent": row.urgent,
        "level": row.level,
        "closed_level": row.closed_level,
        "card": row.card,
        "delay_state": row.delay_state,
        "step_due_at": _iso(row.step_due_at),
        "transfers": row.transfers,
        "reopened_count": row.reopened_count,
        "evaluation": row.evaluation,
    }
    if links is not None:
        out["assignment"]["chain"] = [
            {k: link[k] for k in ("level", "code", "name")} for link in links
        ]
    return out


def incident_view(conn: Connection, incident_id: int) -> dict[str, Any]:
    """The incident with id ``incident_id``, with its area chain."""
    row = conn.execute(query("incident_view"), {"id": incident_id}).one_or_none()
    if row is None:
        raise NotFound(f"incident {incident_id} does not exist")
    queue_id = conn.execute(
        text("SELECT queue_area_id FROM incident WHERE id = :id"), {"id": incident_id}
    ).scalar_one()
    return view(row, chain(conn, queue_id))
