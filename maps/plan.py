"""/maps/plan: the planner's page — pick a scope by name, move micro-grids (or grids) between
parents, cut with snapping, fix the check's problems, balance workloads, see the impact and
publish with an effective date.

Everything the page shows comes from the plans API (``/api/v1/plans``); the scripts are split
by panel: ``plan.js`` (the page and the shared helpers), ``plan-draw-zh.js`` (the drawing
toolbar in Chinese), ``plan-drafts.js`` (the list of drafts and a new one), ``plan-select.js``
(selection, lasso, move, cut), ``plan-workload.js`` (workload and the balance suggestion)
and ``plan-panels.js`` (problems, impact, publish).
"""

from __future__ import annotations

from branca.element import CssLink
from folium.elements import JSCSSMixin

from geo.settings import Settings
from maps.assets import root, vendor
from maps.pages import Viewer, attach_script, new_page, render

TITLE = "网格调整 · 达拉特旗网格"
#: How close to an existing vertex of the draft a drawn cut's vertex is moved onto it (the
#: API's default; the planner may change it between 0 and 50 m).
SNAP_METRES = 5.0
#: The page's scripts that ``plan.js`` builds on, in load order.
PARTS = (
    "plan-draw-zh.js",
    "plan-drafts.js",
    "plan-select.js",
    "plan-workload.js",
    "plan-panels.js",
)


class DrawAssets(JSCSSMixin):
    """leaflet-draw's files after Leaflet's, without folium's toolbar: ``plan-select.js``
    builds the toolbar once ``plan-draw-zh.js`` has put every string of it in Chinese."""

    def __init__(self) -> None:
        super().__init__()
        self.default_js = [("leaflet_draw_js", vendor("leaflet-draw/leaflet.draw.js"))]
        self.default_css = [("leaflet_draw_css", vendor("leaflet-draw/leaflet.draw.css"))]


def plan_page(
    settings: Settings,
    plan_id: int | None,
    viewer: Viewer,
    scope_code: str | None = None,
    username: str = "",
) -> str:
    """The planner's page for draft ``plan_id``, or the planner's drafts and a form to start
    one when there is none (the pick limited to ``scope_code``, the planner's own area)."""
    # no fit_bounds: its zoom animation would still run when the script frames the draft, and
    # Leaflet ignores a view asked for during a zoom animation
    m = new_page(settings, TITLE, viewer)
    DrawAssets().add_to(m)
    root(m).header.add_child(CssLink("/static/wangge/plan.css"), name="plan.css")
    attach_script(
        m,
        "plan.js",
        "wanggePlan",
        {
            "api": "/api/v1",
            "plan": plan_id,
            "scopeCode": scope_code or "",
            "username": username,
            "snapMetres": SNAP_METRES,
            "statusColours": {
                "unchanged": "#6baed6",
                "changed": "#fd8d3c",
                "new": "#31a354",
                "retired": "#969696",
            },
        },
        uses=PARTS,
    )
    return render(m)
