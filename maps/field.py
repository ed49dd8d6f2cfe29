"""/maps/field?member=…: a grid worker's or party member's own area on a phone.

The page (``field.js``) draws the area among its neighbours with its micro-grids, lists the
member's open cases by deadline and keeps them current from the event stream of that area;
an account that may report gets the report form (``report.js``) with the minor categories.
A case's sheet offers the actions the member may take on it (``actions.js``).
"""

from __future__ import annotations

from branca.element import JavascriptLink
from folium.plugins import LocateControl
from sqlalchemy import Connection

from cases.routing import categories
from geo.areas import current_generation
from geo.members import member_area
from geo.privacy import mask_name
from geo.scope import Scope
from geo.settings import Settings
from maps.assets import root
from maps.pages import Viewer, action_specs, attach_script, new_page, render, status_config

KIND_LABELS = {
    "grid_worker": "网格员",
    "party_member": "在职党员",
    "leader": "包联领导",
    "instructor": "部门指导员",
}


def report_categories(conn: Connection) -> list[dict[str, str]]:
    """The minor categories a report can name, each with its major class's name."""
    rows = categories(conn)
    majors = {c.code: c.name for c in rows if c.parent_code is None}
    return [
        {"code": c.code, "name": c.name, "major_name": majors.get(c.parent_code, "")}
        for c in rows
        if c.parent_code is not None
    ]


def field_page(
    conn: Connection,
    settings: Settings,
    member_id: int,
    viewer: Viewer,
    *,
    scope: Scope,
    can_report: bool,
    own: bool = False,
) -> str:
    """The member's area among its neighbours, locate-me, open cases, tap to identify, and
    for an account that may report (``can_report``) the report form; on the member's ``own``
    page (the signed-in account is that member) 我的片区 · 走访 (``field-visit.js``).

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
    if can_report:
        root(m).header.add_child(JavascriptLink("/static/wangge/report.js"), name="report.js")
    if own:  # 我的片区 (#16): the households this member answers for
        visit = JavascriptLink("/static/wangge/field-visit.js")
        root(m).header.add_child(visit, name="field-visit.js")
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
            "canReport": can_report,
            "categories": report_categories(conn) if can_report else [],
            "actions": action_specs(),
        },
        uses=("actions.js",),
    )
    if member["kind"] == "party_member":  # 达拉特红: points, 在线报到, the community's tasks
        party = {"api": "/api/v1", "member": member["id"]}  # shown to that member only
        attach_script(m, "field-party.js", "wanggeFieldParty", party)
    return render(m)
