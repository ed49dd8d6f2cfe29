"""A member's own area, as a field worker's phone shows it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from geo.areas import chain, list_areas, neighbours
from geo.errors import NotFound
from geo.people import member_view


def member_area(conn: Connection, member_id: int, generation: int) -> dict[str, Any]:
    """The member, the area they serve (as a Feature), its chain and its neighbours."""
    row = conn.execute(
        text(
            """
            SELECT m.id, m.kind, m.name, m.phone, m.title, m.area_id, a.code AS area_code,
                   d.code AS department_code, d.name AS department_name
            FROM member m
            JOIN area a ON a.id = m.area_id
            LEFT JOIN department d ON d.id = m.department_id
            WHERE m.id = :id
            """
        ),
        {"id": member_id},
    ).one_or_none()
    if row is None:
        raise NotFound(f"member {member_id} does not exist")
    area_page = list_areas(conn, generation=generation, codes=[row.area_code], limit=1)
    if not area_page.features:
        raise NotFound(
            f"member {member_id}'s area {row.area_code} is not in generation {generation}"
        )
    near = neighbours(conn, row.area_id, generation)
    near_page = list_areas(conn, generation=generation, codes=near, limit=max(len(near), 1))
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
