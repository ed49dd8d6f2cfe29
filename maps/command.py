"""/maps/command: the command centre's live map of the banner's grids and open incidents, with a
case panel (trail, deadlines, cards, the actions the viewer's role may take) and a filter for
cases due soon, overdue or carrying a yellow or red card."""

from __future__ import annotations

from typing import Any

from folium.plugins import VectorGridProtobuf
from sqlalchemy import Connection

from cases.routing import categories
from geo.settings import Settings
from maps.pages import (
    DALAD_BOUNDS,
    Viewer,
    action_specs,
    attach_script,
    new_page,
    render,
    status_config,
)

TITLE = "指挥中心地图 · 达拉特旗网格"

#: Area levels served as vector tiles: (layer, Chinese name, minimum zoom, outline colour).
TILE_LEVELS = [
    ("village", "嘎查村社区", 9, "#6a51a3"),
    ("grid", "网格", 11, "#2171b5"),
    ("micro_grid", "微网格", 13, "#41ab5d"),
]

TIME_WINDOWS = [
    ("all", "全部时间"),
    ("24h", "最近24小时"),
    ("7d", "最近7天"),
    ("30d", "最近30天"),
    ("365d", "最近一年"),
]

#: The 时限/督办 filter: (value, label, the list API's query parameter and its value).
DEADLINE_FILTERS = [
    {"value": "", "label": "全部", "param": None, "arg": None},
    {"value": "soon", "label": "即将到期", "param": "due", "arg": "soon"},
    {"value": "overdue", "label": "已超期", "param": "due", "arg": "overdue"},
    {"value": "yellow", "label": "黄牌督办", "param": "card", "arg": "yellow"},
    {"value": "red", "label": "红牌督办", "param": "card", "arg": "red"},
]


def _tile_layer(layer: str, name: str, min_zoom: int, colour: str) -> VectorGridProtobuf:
    options = {
        "interactive": True,
        "minZoom": min_zoom,
        "maxNativeZoom": 16,
        "vectorTileLayerStyles": {
            layer: {"weight": 1, "color": colour, "fill": True, "fillOpacity": 0.02}
        },
    }
    return VectorGridProtobuf(f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf", name, options, show=False)


def command_page(
    conn: Connection,
    settings: Settings,
    viewer: Viewer,
    bounds: list[list[float]] | None = None,
) -> str:
    """The page's HTML: map, layers and filters; data arrives from the API and the stream,
    which answer with what the viewer may see. ``bounds`` (south-west, north-east) frame the
    viewer's own area; the default is the banner."""
    m = new_page(settings, TITLE, viewer)
    m.fit_bounds(bounds or DALAD_BOUNDS)
    layers: dict[str, Any] = {}
    for layer, name, min_zoom, colour in TILE_LEVELS:
        tiles = _tile_layer(layer, name, min_zoom, colour)
        tiles.add_to(m)
        layers[layer] = {"var": tiles.get_name(), "name": name, "minZoom": min_zoom}
    counts = _tile_layer("incidents", "事件数（按微网格）", 0, "#d7301f")
    counts.add_to(m)
    layers["incidents"] = {"var": counts.get_name(), "name": "事件数（按微网格）", "minZoom": 0}
    attach_script(
        m,
        "command.js",
        "wanggeCommand",
        {
            "api": "/api/v1",
            "title": "达拉特旗 指挥中心",
            "tileLayers": layers,
            "status": status_config(),
            "categories": [{"code": c.code, "name": c.name} for c in categories(conn)],
            "windows": [{"value": v, "label": label} for v, label in TIME_WINDOWS],
            "markerZoom": 12,
            "pageSize": 500,
            "actions": action_specs(),
            "deadlineFilters": DEADLINE_FILTERS,
        },
        uses=("actions.js",),
    )
    return render(m)
