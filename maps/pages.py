"""What every map page shares: a localized folium map, a title, our script and its config.

A page is a folium map plus one of our scripts from ``maps/static/wangge/``; the script gets
the map object and a JSON config (API URLs, labels) from one call appended to folium's own
script block, so it runs after the map exists. Data is fetched by the script from the API, so
the HTML stays the same size however many incidents the database holds.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import Element, JavascriptLink, MacroElement
from jinja2 import Template

from cases.models import CLOSED_STATUSES, IncidentStatus
from geo.settings import Settings
from maps.assets import FAVICON, base_map, root

#: The banner's bounds in CGCS2000 (south-west, north-east), for the first view.
DALAD_BOUNDS = [[39.65, 108.95], [40.60, 110.75]]

#: Colours per status group on every page: open work warm, finished work cool.
STATUS_COLOURS = {
    "reported": "#d7301f",
    "accepted": "#ef6548",
    "filed": "#ef6548",
    "dispatched": "#fc8d59",
    "returned": "#b30000",
    "in_progress": "#fdbb84",
    "handled": "#41ab5d",
    "rework": "#b30000",
    "hung": "#7f2704",
    "reopened": "#b30000",
    "closed": "#4292c6",
    "evaluated": "#2171b5",
    "void": "#969696",
}


def status_config() -> dict[str, Any]:
    return {
        "labels": {s.value: s.label for s in IncidentStatus},
        "colours": STATUS_COLOURS,
        "open": [s.value for s in IncidentStatus if s not in CLOSED_STATUSES],
    }


def new_page(settings: Settings, title: str, **folium_kwargs: Any) -> folium.Map:
    """A localized map with a Chinese title and our stylesheet."""
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
    return m


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


def attach_script(m: folium.Map, script: str, entry: str, config: dict[str, Any]) -> None:
    """Load ``/static/wangge/<script>`` and call ``<entry>(map, config)`` once the map exists.

    Call it after every folium layer has been added to ``m``.
    """
    header = root(m).header
    header.add_child(JavascriptLink("/static/wangge/common.js"), name="common.js")
    header.add_child(JavascriptLink(f"/static/wangge/{script}"), name=script)
    payload = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    _Init(entry, payload).add_to(m)


def render(m: folium.Map) -> str:
    html: str = m.get_root().render()
    return html
