"""/maps/plan: a draft layout over the current one — draw a split, check, preview, publish."""

from __future__ import annotations

from folium.plugins import Draw

from geo.settings import Settings
from maps.pages import DALAD_BOUNDS, Viewer, attach_script, new_page, render

TITLE = "网格调整 · 达拉特旗网格"
#: How close to an existing corner a drawn cut may start or end and still be moved onto it.
SNAP_METRES = 20.0


def plan_page(
    settings: Settings, plan_id: int | None, viewer: Viewer, scope_code: str | None = None
) -> str:
    """The planner's page for draft ``plan_id``, or a form to start a draft when there is none
    (its scope filled in with ``scope_code``, the planner's own area)."""
    m = new_page(settings, TITLE, viewer)
    m.fit_bounds(DALAD_BOUNDS)
    Draw(
        export=False,
        draw_options={
            "polyline": {"shapeOptions": {"color": "#d7301f", "weight": 3}},
            "polygon": False,
            "rectangle": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
        },
        edit_options={"edit": False, "remove": False},
    ).add_to(m)
    attach_script(
        m,
        "plan.js",
        "wanggePlan",
        {
            "api": "/api/v1",
            "plan": plan_id,
            "scopeCode": scope_code or "",
            "snapMetres": SNAP_METRES,
            "statusColours": {
                "unchanged": "#6baed6",
                "changed": "#fd8d3c",
                "new": "#31a354",
                "retired": "#969696",
            },
        },
    )
    return render(m)
