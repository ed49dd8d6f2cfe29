"""What every map page shares: a localized folium map, a title, our script and its config.

A page is a folium map plus one of our scripts from ``maps/static/wangge/``; the script gets
the map object and a JSON config (API URLs, labels) from one call appended to folium's own
script block, so it runs after the map exists. Data is fetched by the script from the API, so
the HTML stays the same size however many incidents the database holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import folium
from branca.element import Element, Figure, JavascriptLink, MacroElement
from jinja2 import Template

from cases.loop.table import ACTIONS
from cases.models import CLOSED_STATUSES, IncidentStatus
from geo.settings import Settings
from maps.assets import FAVICON, base_map, root

#: The banner's bounds in CGCS2000 (south-west, north-east), for the first view of a page
#: that has no better frame (the router passes the scope's extent, :func:`geo.places.extent`).
DALAD_BOUNDS = [[39.65, 108.95], [40.60, 110.75]]

#: The thirteen statuses in five families a person can tell apart on a map, each with one
#: colour (open work warm, waiting for verification blue, finished grey): (key, Chinese name,
#: colour, statuses). A popup still names the exact status.
STATUS_FAMILIES: list[tuple[str, str, str, list[IncidentStatus]]] = [
    (
        "new",
        "新上报",
        "#d7301f",
        [
            IncidentStatus.REPORTED,
            IncidentStatus.ACCEPTED,
            IncidentStatus.FILED,
            IncidentStatus.RETURNED,
            IncidentStatus.REOPENED,
        ],
    ),
    ("dispatched", "已派遣/部门处理", "#fd8d3c", [IncidentStatus.DISPATCHED, IncidentStatus.HUNG]),
    ("handling", "处置中", "#8c6bb1", [IncidentStatus.IN_PROGRESS, IncidentStatus.REWORK]),
    ("verify", "待核查", "#2b8cbe", [IncidentStatus.HANDLED]),
    (
        "closed",
        "已办结",
        "#969696",
        [IncidentStatus.CLOSED, IncidentStatus.EVALUATED, IncidentStatus.VOID],
    ),
]

#: Each status's colour: its family's.
STATUS_COLOURS = {s.value: colour for _, _, colour, members in STATUS_FAMILIES for s in members}


def action_specs() -> dict[str, dict[str, Any]]:
    """Each action of the transition table (:data:`cases.loop.table.ACTIONS`): its Chinese
    label and the fields its form must ask for (``reason``, ``attachments``, ``lon``, …)."""
    return {
        a.name: {"label": a.label, "needs": [need.value for need in a.needs]}
        for a in ACTIONS.values()
    }


def status_config() -> dict[str, Any]:
    """Labels, colours and families of the statuses, and which count as open, for a script."""
    return {
        "labels": {s.value: s.label for s in IncidentStatus},
        "colours": STATUS_COLOURS,
        "open": [s.value for s in IncidentStatus if s not in CLOSED_STATUSES],
        "families": [
            {"key": key, "label": label, "colour": colour, "statuses": [s.value for s in members]}
            for key, label, colour, members in STATUS_FAMILIES
        ],
    }


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page, as its header shows them (a member's name comes masked)."""

    name: str
    role_label: str
    #: The place the viewer's pages are titled by (:func:`geo.places.title_place`).
    place: str = "达拉特旗"


def page_title(what: str, viewer: Viewer) -> str:
    """``指挥中心地图 · 达拉特旗网格``: the page, then the viewer's place."""
    return f"{what} · {viewer.place}网格"


#: The page header: who is signed in, their role, and sign-out (a POST, so no link can do it).
HEADER_HTML = """
<header class="wg-header">
  <a class="wg-brand" href="/maps/">网格地图</a>{links}
  <span class="wg-who"><span class="wg-user">{name}</span>
    <span class="wg-role">{role}</span></span>
  <form class="wg-logout" method="post" action="/logout">
    <button type="submit">退出</button>
  </form>
</header>
"""

#: The header above, the map filling the rest of the window; on a phone taller, so that its
#: links and 退出 are targets of 44 px.
HEADER_CSS = """
<style>
  .wg-header { position: absolute; top: 0; left: 0; right: 0; height: 2.5rem; z-index: 1001;
    display: flex; align-items: center; gap: 1rem; padding: 0 0.75rem; background: #fff;
    border-bottom: 1px solid #ddd; font-size: 14px; }
  .wg-brand { font-weight: bold; color: #333; text-decoration: none; }
  .wg-link { color: #2f5d8a; text-decoration: none; white-space: nowrap; }
  .wg-who { margin-left: auto; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .wg-role { color: #666; margin-left: 0.4rem; }
  .wg-logout { margin: 0; }
  .wg-logout button { border: 1px solid #c0392b; background: #fff; color: #c0392b;
    border-radius: 4px; padding: 0.1rem 0.7rem; cursor: pointer; }
  .folium-map { position: absolute !important; top: 2.5rem !important; bottom: 0;
    height: auto !important; }
  @media (max-width: 640px), (pointer: coarse) {
    .wg-header { height: 3.25rem; gap: 0.5rem; padding: 0 0.5rem; }
    .wg-brand, .wg-logout button { min-height: 44px; display: inline-flex; align-items: center; }
    .wg-logout button { padding: 0 1rem; }
    .wg-role { display: none; }
    .folium-map { top: 3.25rem !important; }
  }
</style>
"""


def add_header(figure: Figure, viewer: Viewer, links: Sequence[tuple[str, str]] = ()) -> None:
    """Put the signed-in account's header on top of a page, with ``links`` (href, text)
    after the brand."""
    extra = "".join(
        f'\n  <a class="wg-link" href="{escape(href)}">{escape(text)}</a>' for href, text in links
    )
    html = HEADER_HTML.format(name=escape(viewer.name), role=escape(viewer.role_label), links=extra)
    figure.header.add_child(Element(HEADER_CSS), name="wangge_header_css")
    figure.html.add_child(Element(html), name="wangge_header")


def new_page(
    settings: Settings,
    title: str,
    viewer: Viewer,
    links: Sequence[tuple[str, str]] = (),
    **folium_kwargs: Any,
) -> folium.Map:
    """A localized map with a Chinese title, our stylesheet and the viewer's header (with
    ``links``, (href, text), after its brand)."""
    m = base_map(settings, **folium_kwargs)
    figure = root(m)
    figure.header.add_child(Element(f"<title>{title}</title>"), name="title")
    figure.header.add_child(
        Element(
            f'<link rel="icon" href="{FAVICON}"/>'
            '<link rel="stylesheet" href="/static/wangge/pages.css"/>'
        ),
        name="pages_head",
    )
    add_header(figure, viewer, links)
    return m


def error_page(status: int, title: str, message: str, viewer: Viewer | None = None) -> str:
    """A plain Chinese error page (找不到, 无权访问) with a way back to the map index."""
    figure = Figure(title=title)
    figure.header.add_child(Element(f'<link rel="icon" href="{FAVICON}"/>'), name="icon")
    if viewer is not None:
        add_header(figure, viewer)
    figure.html.add_child(
        Element(
            f'<main class="wg-error" style="margin: 4rem 1.5rem; font-size: 16px">'
            f"<h1>{status} {escape(title)}</h1><p>{escape(message)}</p>"
            "<p><a href='/maps/'>返回地图首页</a></p></main>"
        ),
        name="message",
    )
    html: str = figure.render()
    return html


class _Init(MacroElement):
    """``entry(map, config)`` rendered as the map's last child, so after the map and its layers."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this.entry }}({{ this._parent.get_name() }}, {{ this.payload }});"
        "{% endmacro %}"
    )

    def __init__(self, entry: str, payload: str) -> None:
        super().__init__()
        self._name = "WanggeInit"
        self.entry = entry
        self.payload = payload


def attach_script(
    m: folium.Map, script: str, entry: str, config: dict[str, Any], *, uses: Sequence[str] = ()
) -> None:
    """Load ``/static/wangge/<script>`` and call ``<entry>(map, config)`` once the map exists;
    the shared scripts it ``uses`` (``actions.js``) load after ``common.js`` and before it.

    Call it after every folium layer has been added to ``m``.
    """
    header = root(m).header
    header.add_child(JavascriptLink("/static/wangge/common.js"), name="common.js")
    for shared in uses:
        header.add_child(JavascriptLink(f"/static/wangge/{shared}"), name=shared)
    header.add_child(JavascriptLink(f"/static/wangge/{script}"), name=script)
    payload = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    _Init(entry, payload).add_to(m)


def render(m: folium.Map) -> str:
    html: str = m.get_root().render()
    return html
