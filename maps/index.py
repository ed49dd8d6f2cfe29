"""The map index page ``/maps/``: links to the map pages over a map of the townships."""

from __future__ import annotations

import json
from html import escape
from typing import Any, cast

import folium
from branca.element import Element

from geo.settings import Settings
from maps.assets import base_map, root
from maps.pages import Viewer

TITLE = "网格地图"

#: The map pages (their routes live in api/routers/maps.py); "我的网格" asks for a member id
#: (an account's own filled in); on the right, who is signed in and sign-out.
NAV_HTML = """
<nav class="wangge-nav navbar bg-body-tertiary border-bottom">
  <span class="navbar-brand mb-0 h1">网格地图</span>
  <a class="nav-link" href="/maps/command">指挥中心地图</a>
  <a class="nav-link" href="/maps/heat">热力与热点</a>
  <a class="nav-link" href="/maps/dashboard">数据看板</a>{own}
  <form class="wg-member d-flex align-items-center gap-2" action="/maps/field" method="get">
    <label class="text-nowrap" for="wangge-member">我的网格</label>
    <input class="form-control form-control-sm" id="wangge-member" name="member"
           type="number" min="1" required placeholder="成员编号"{member}>
    <button class="btn btn-sm btn-primary text-nowrap" type="submit">打开</button>
  </form>
  <a class="nav-link wg-docs" href="/docs">接口文档</a>
  <span class="wg-who text-nowrap"><span class="wg-user">{name}</span>
    <span class="wg-role text-secondary">{role}</span></span>
  <form class="wg-logout m-0" method="post" action="/logout">
    <button class="btn btn-sm btn-outline-danger text-nowrap" type="submit">退出</button>
  </form>
</nav>
"""

#: The navigation bar on top, the map filling the rest of the window (a column of the two).
#: On a phone the bar wraps: the brand, who is signed in and 退出 on the first line, the
#: links and the member form below, every target at least 44 px high.
PAGE_CSS = """
<style>
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; }
  nav.wangge-nav { order: -1; flex: none; display: flex; flex-wrap: wrap; align-items: center;
    gap: 0.25rem 1rem; padding: 0.4rem 0.75rem; }
  nav.wangge-nav > * { flex: none; white-space: nowrap; }
  nav.wangge-nav .navbar-brand { margin-right: 0; }
  nav.wangge-nav #wangge-member { width: 8rem; }
  nav.wangge-nav .wg-docs { margin-left: auto; }
  nav.wangge-nav .wg-who { flex: 0 1 auto; min-width: 0; overflow: hidden;
    text-overflow: ellipsis; }
  .folium-map { position: relative !important; flex: 1 1 auto; top: 0 !important;
    height: auto !important; min-height: 0; }
  @media (max-width: 640px) {
    nav.wangge-nav { gap: 0 0.75rem; padding: 0 0.5rem; }
    nav.wangge-nav .navbar-brand { order: 0; font-size: 1.1rem; padding: 0; }
    nav.wangge-nav .wg-who { order: 1; margin-left: auto; }
    nav.wangge-nav .wg-logout { order: 2; }
    nav.wangge-nav > .nav-link { order: 3; }
    nav.wangge-nav .wg-docs { order: 4; margin-left: 0; }
    nav.wangge-nav .wg-member { order: 5; flex: 1 0 100%; padding-bottom: 0.25rem; }
    nav.wangge-nav .wg-role { display: none; }
    nav.wangge-nav .navbar-brand, nav.wangge-nav .nav-link, nav.wangge-nav button,
    nav.wangge-nav input { min-height: 44px; display: inline-flex; align-items: center; }
    nav.wangge-nav #wangge-member { width: auto; flex: 1 1 auto; min-width: 0; }
  }
</style>
"""


#: 网格调整 (/maps/plan), for the roles that may draft plans (planner, admin).
PLAN_LINK = '\n  <a class="nav-link wg-plan-link" href="/maps/plan">网格调整</a>'

#: Links for one role's own page: a department's summons (部门报到 on the field page), a
#: mediator's dispute file (the mediation page asks for the case's code) and the planner's
#: 网格调整.
ROLE_LINKS = {
    "department": '\n  <a class="nav-link wg-summons-link" href="/maps/field">部门报到</a>',
    "planner": PLAN_LINK,
    "admin": PLAN_LINK,
    "mediator": """
  <form class="wg-mediation-link d-flex align-items-center gap-2" action="/maps/mediation"
        method="get">
    <label class="text-nowrap" for="wangge-case">调解</label>
    <input class="form-control form-control-sm" id="wangge-case" name="case" required
           maxlength="32" placeholder="纠纷事件编号">
    <button class="btn btn-sm btn-primary text-nowrap" type="submit">打开卷宗</button>
  </form>""",
}


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": "#2f5d8a", "weight": 2, "fillColor": "#7fa7cf", "fillOpacity": 0.25}


def _highlight(feature: dict[str, Any]) -> dict[str, Any]:
    return {"weight": 3, "fillOpacity": 0.45}


def index_page(
    settings: Settings,
    townships: list[str],
    viewer: Viewer,
    member_id: int | None = None,
    role: str | None = None,
) -> str:
    """The whole page as HTML; ``townships`` are RFC 7946 features as JSON text (the viewer's
    own area when it is smaller than the banner), ``member_id`` the viewer's own member,
    ``role`` the viewer's role (its own links, :data:`ROLE_LINKS`)."""
    collection = {"type": "FeatureCollection", "features": [json.loads(f) for f in townships]}
    m = base_map(settings)
    layer = folium.GeoJson(
        collection,
        name="苏木镇",
        style_function=_style,
        highlight_function=_highlight,
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["苏木镇", "代码"]),
    ).add_to(m)
    if townships:
        m.fit_bounds(cast("list[list[float]]", layer.get_bounds()))
    figure = root(m)
    figure.title = TITLE
    figure.header.add_child(Element(PAGE_CSS), name="wangge_index_css")
    nav = NAV_HTML.format(
        member=f' value="{member_id}"' if member_id is not None else "",
        own=ROLE_LINKS.get(role or "", ""),
        name=escape(viewer.name),
        role=escape(viewer.role_label),
    )
    figure.html.add_child(Element(nav), name="wangge_index_nav")
    return figure.render()
