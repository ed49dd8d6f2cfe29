"""Who serves an area: grid workers, party members, leaders and department instructors.

Names and phones leave this module masked (张**, 138****1234); the clear values are only
handed out by :func:`geo.members.contact`, for an audited reveal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from geo.models import MemberKind
from geo.privacy import mask_name, mask_phone
from geo.sql import query


def member_view(row: Any) -> dict[str, Any]:
    """A member as clients see it, name and phone masked."""
    department = None
    if row.department_code is not None:
        department = {"code": row.department_code, "name": row.department_name}
    return {
        "id": row.id,
        "kind": row.kind,
        "name": mask_name(row.name),
        "phone": mask_phone(row.phone),
        "title": row.title,
        "area_code": row.area_code,
        "department": department,
    }


def serving(conn: Connection, area_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Members whose own area is one of ``area_ids``, ordered by kind then id."""
    rows = conn.execute(query("people"), {"area_ids": list(area_ids)})
    return [member_view(r) for r in rows]


def responsible(conn: Connection, micro_grid_id: int, grid_id: int) -> dict[str, Any]:
    """The people answerable for a micro-grid: its party members and its grid's staff."""
    return by_duty(serving(conn, [micro_grid_id, grid_id]))


def by_duty(people: list[dict[str, Any]]) -> dict[str, Any]:
    """Members (as :func:`member_view` gives them) grouped by what they answer for."""
    by_kind: dict[str, list[dict[str, Any]]] = {k.value: [] for k in MemberKind}
    for person in people:
        by_kind[person["kind"]].append(person)
    workers = by_kind[MemberKind.GRID_WORKER]
    return {
        "grid_worker": workers[0] if workers else None,
        "party_members": by_kind[MemberKind.PARTY_MEMBER],
        "instructors": by_kind[MemberKind.INSTRUCTOR],
        "leaders": by_kind[MemberKind.LEADER],
    }
