"""/maps/field?member=…: a grid worker's or party member's own area on a phone."""

from __future__ import annotations

from folium.plugins import LocateControl
from sqlalchemy import Connection

from geo.areas import current_generation
from geo.members import member_area
from geo.privacy import mask_name
from geo.scope import Scope
from geo.settings import Settings
from maps.pages import Viewer, attach_script, new_page, render, status_config

KIND_LABELS = {
    "grid_worker": "网格员",
    "party_member": "在职党员",
    "leader": "包联领导",
    "instructor": "部门指导员",
}


def field_page(
    conn: Connection, settings: Settings, member_id: int, viewer: Viewer, *, scope: Scope
) -> str:
    """The member's area outlined among its neighbours, locate-me, open cases, tap to identify.

    Raises :class:`geo.errors.NotFound` for an unknown member or one outside ``scope``.
    """
    mine = member_area(conn, member_id, current_generation(conn), scope=scope)
    member = mine["member"]
    m = new_page(settings, f"我的网格 · {mine['area']['properties']['name']}", viewer)
    LocateControl(
        strings={"title": "显示我的位置", "popup": "您在这里（误差约 {distance} 米）"},
        flyTo=True,
        keepCurrentZoomLevel=True,
    ).add_to(m)
    attach_script(
        m,
        "field.js",
        "wanggeField",
        {
            "api": "/api/v1",
            "member": {
                "id": member["id"],
                "kind": member["kind"],
                "kindLabel": KIND_LABELS.get(member["kind"], member["kind"]),
                "name": mask_name(member["name"]),
            },
            "area": mine["area"],
            "chain": mine["chain"],
            "neighbours": mine["neighbours"],
            "status": status_config(),
        },
    )
    return render(m)
