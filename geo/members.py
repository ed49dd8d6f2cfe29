"""A member by id, inside the caller's scope: their own area as a field worker's phone shows
it, or their clear name and phone for an audited reveal.

A member is inside a scope when the area they serve is; any other member is :class:`NotFound`
with the message of one that does not exist.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row

from geo.areas import chain, list_areas, neighbours
from geo.errors import NotFound
from geo.people import member_view
from geo.scope import Scope
from geo.sql import query


def find_member(conn: Connection, member_id: int, *, scope: Scope) -> Row[Any]:
    """The member's row (clear name and phone: never send it as it is), or NotFound."""
    row = conn.execute(query("member"), {"id": member_id, **scope.params()}).one_or_none()
    if row is None:
        raise NotFound(f"member {member_id} does not exist")
    return row


def member_area(
    conn: Connection, member_id: int, generation: int, *, scope: Scope
) -> dict[str, Any]:
    """The member, the area they serve (as a Feature), its chain and its neighbours.

    Neighbours outside ``scope`` are left out, as they are from every listing.
    """
    row = find_member(conn, member_id, scope=scope)
    area_page = list_areas(conn, generation=generation, codes=[row.area_code], limit=1, scope=scope)
    if not area_page.features:
        raise NotFound(
            f"member {member_id}'s area {row.area_code} is not in generation {generation}"
        )
    near = neighbours(conn, row.area_id, generation, scope=scope)
    near_page = list_areas(
        conn, generation=generation, codes=near, limit=max(len(near), 1), scope=scope
    )
    return {
        "member": member_view(row),
        "area": json.loads(area_page.features[0]),
        "chain": [
            {k: link[k] for k in ("level", "code", "name")} for link in chain(conn, row.area_id)
        ],
        "neighbours": {
            "type": "FeatureCollection",
            "features": [json.loads(f) for f in near_page.features],
        },
    }


def contact(conn: Connection, member_id: int, *, scope: Scope) -> dict[str, str | None]:
    """The member's clear name and phone, for a reveal (the caller audits it)."""
    row = find_member(conn, member_id, scope=scope)
    return {"name": row.name, "phone": row.phone}
