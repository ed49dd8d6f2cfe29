"""/maps/command: the command centre's live map of the banner's grids and open incidents.

The first view (the banner) shows case density per micro-grid (the ``incidents`` count tiles),
the four figures of ``/api/v1/incidents/summary`` and the townships' names; from zoom 12 the
incidents themselves, clustered. The area outlines below the townships come as one combined
tile per position (``/tiles/areas/…``, :func:`geo.tiles.areas_tile`), so a zoom change costs
one area request per tile position instead of one per level, and the markers' request does
not queue behind three times as many. The page holds no tile URL template or zoom range: the
script reads each tile layer's TileJSON once (``/tiles/areas.json``, ``/tiles/incidents.json``,
:mod:`geo.tilejson`) and takes the template and zooms from it. Every click on the map asks
``/api/v1/locate`` for the deepest area under it and its people: the area layers are drawn,
never clicked, so nothing lies over another layer's clicks.

A marker, a row of the live feed or of the 时限督办 list opens the case panel
(``command-case.js``): the case's card, deadlines with the time left, its trail with photos
and the actions the viewer's role may take now, each with its form (``actions.js``). The
时限督办 filter (即将到期 / 已超期 / 黄牌 / 红牌) shows the cases the list API answers for
``due=`` or ``card=`` across the viewer's whole scope, with their counts.
"""

from __future__ import annotations

from typing import Any

from branca.element import CssLink, JavascriptLink
from folium.plugins import MarkerCluster, VectorGridProtobuf
from sqlalchemy import Connection

from access.accounts import ROLE_LABELS
from cases.routing import categories, matrix
from geo.models import AreaLevel
from geo.places import level_label
from geo.settings import Settings
from geo.tiles import Layer
from maps.assets import root
from maps.pages import (
    DALAD_BOUNDS,
    Viewer,
    action_specs,
    attach_script,
    new_page,
    page_title,
    render,
    status_config,
)

TITLE = "指挥中心地图"

#: Area levels drawn from vector tiles: (layer, Chinese name, outline colour, weight).
TILE_LEVELS = [
    ("village", "嘎查村社区", "#6a51a3", 1.6),
    ("grid", "网格", "#2171b5", 1.1),
    ("micro_grid", "微网格", "#41ab5d", 0.8),
]

TIME_WINDOWS = [
    ("all", "全部时间"),
    ("24h", "最近24小时"),
    ("7d", "最近7天"),
    ("30d", "最近30天"),
    ("365d", "最近一年"),
]

#: The 时限督办 filter: (value, label, the list API's query parameter and its value).
SUPERVISION_FILTERS = [
    {"value": "soon", "label": "即将到期", "param": "due", "arg": "soon"},
    {"value": "overdue", "label": "已超期", "param": "due", "arg": "overdue"},
    {"value": "yellow", "label": "黄牌", "param": "card", "arg": "yellow"},
    {"value": "red", "label": "红牌", "param": "card", "arg": "red"},
]

#: Markers are drawn from this zoom; below it the density layer speaks for them.
MARKER_ZOOM = 12
#: Markers stop clustering from this zoom, so each one can be clicked.
CLUSTER_UNTIL_ZOOM = 16
#: Incidents fetched per request (the API's page size) and at most per view.
PAGE_SIZE = 500
MAX_MARKERS = 10_000


def _style(colour: str, weight: float) -> dict[str, Any]:
    return {"weight": weight, "color": colour, "fill": False, "opacity": 0.8}


def _area_tiles(combined: bool) -> list[tuple[VectorGridProtobuf, dict[str, Any], str]]:
    """The area tile layers and the style of each level they draw: one combined layer, or one
    per level (the way the page worked before, kept for the browser test's before/after
    timing). The script sets the styles (folium would camel-case ``micro_grid``) and adds the
    layers to the map itself, after its own listeners."""
    base = {"interactive": False, "maxNativeZoom": 16}  # URL and zooms: from the TileJSON
    if combined:
        styles: dict[str, Any] = {Layer.TOWNSHIP.value: []}  # the GeoJSON layer draws those
        styles |= {layer: _style(colour, w) for layer, _, colour, w in TILE_LEVELS}
        tiles = VectorGridProtobuf("", "区域边界", base, show=False)
        return [(tiles, styles, tilejson_url(None))]
    layers = []
    for layer, name, colour, w in TILE_LEVELS:
        tiles = VectorGridProtobuf("", name, base, show=False)
        layers.append((tiles, {layer: _style(colour, w)}, tilejson_url(Layer(layer))))
    return layers


def tilejson_url(layer: Layer | None) -> str:
    """Where a tile layer's TileJSON is (``None``: the combined area tile)."""
    return f"/tiles/{'areas' if layer is None else layer.value}.json"


def departments(conn: Connection) -> dict[str, str]:
    """Every department the routing matrix names (defaults and townships' overrides), code →
    name, for the trail's "from → to" of a dispatch."""
    found: dict[str, str] = {}
    for row in matrix(conn):
        if row["department"]["code"]:
            found[row["department"]["code"]] = row["department"]["name"]
        found |= {o["department_code"]: o["department_name"] for o in row["overrides"]}
    return dict(sorted(found.items()))


def command_page(
    conn: Connection,
    settings: Settings,
    viewer: Viewer,
    bounds: list[list[float]] | None = None,
    *,
    combined_tiles: bool = True,
    markers_first: bool = True,
) -> str:
    """The page's HTML: map, layers and filters; data arrives from the API and the stream,
    which answer with what the viewer may see. ``bounds`` (south-west, north-east) frame the
    viewer's own area; the default is the banner.

    ``combined_tiles=False`` (one tile layer per area level) and ``markers_first=False`` (the
    tiles asked for before the markers at a zoom change) give the page as it was, for
    measuring what each change bought."""
    m = new_page(
        settings, page_title(TITLE, viewer), viewer, links=[("/maps/dashboard", "数据看板")]
    )
    m.fit_bounds(bounds or DALAD_BOUNDS)
    areas = []
    for tiles, styles, described in _area_tiles(combined_tiles):
        tiles.add_to(m)
        areas.append(
            {
                "var": tiles.get_name(),
                "name": tiles.layer_name,
                "styles": styles,
                "tilejson": described,
            }
        )
    counts = VectorGridProtobuf(
        "",
        "事件密度（按微网格）",
        {"interactive": False, "maxNativeZoom": 16, "v": 0},
        show=False,  # the script adds the tile layers after its own listeners (command.js)
    )
    counts.add_to(m)
    cluster = MarkerCluster(
        name="事件",
        control=False,
        options={
            "disableClusteringAtZoom": CLUSTER_UNTIL_ZOOM,
            "chunkedLoading": True,
            "showCoverageOnHover": False,
            "maxClusterRadius": 50,
        },
    )
    cluster.add_to(m)
    header = root(m).header
    header.add_child(CssLink("/static/wangge/command.css"), name="command.css")
    header.add_child(JavascriptLink("/static/wangge/command-live.js"), name="command-live.js")
    header.add_child(JavascriptLink("/static/wangge/command-case.js"), name="command-case.js")
    header.add_child(CssLink("/static/wangge/whistle.css"), name="whistle.css")
    header.add_child(JavascriptLink("/static/wangge/command-whistle.js"), name="command-whistle.js")
    header.add_child(
        JavascriptLink("/static/wangge/command-whistle-form.js"), name="command-whistle-form.js"
    )
    coverage = "command-coverage.js"  # the routines' layer (#16), hooked in command.js
    header.add_child(JavascriptLink(f"/static/wangge/{coverage}"), name=coverage)
    cobuild = "command-cobuild.js"  # the paired villages' layer (#18), hooked in command.js
    header.add_child(JavascriptLink(f"/static/wangge/{cobuild}"), name=cobuild)
    attach_script(
        m,
        "command.js",
        "wanggeCommand",
        {
            "api": "/api/v1",
            "title": f"{viewer.place} 指挥中心",
            "townshipLabel": level_label(AreaLevel.TOWNSHIP, viewer.place_kind),
            "areaTiles": areas,
            "counts": {
                "var": counts.get_name(),
                "name": "事件密度（按微网格）",
                "tilejson": tilejson_url(Layer.INCIDENTS),
            },
            "coverageTileJSON": tilejson_url(Layer.COVERAGE),
            "cluster": cluster.get_name(),
            "status": status_config(),
            "categories": [{"code": c.code, "name": c.name} for c in categories(conn)],
            "windows": [{"value": v, "label": label} for v, label in TIME_WINDOWS],
            "markerZoom": MARKER_ZOOM,
            "villageLabelZoom": 11,
            "pageSize": PAGE_SIZE,
            "maxMarkers": MAX_MARKERS,
            "markersFirst": markers_first,
            "actions": action_specs(),
            "supervisionFilters": SUPERVISION_FILTERS,
            "roles": {role.value: label for role, label in ROLE_LABELS.items()},
            "departments": departments(conn),
        },
        uses=("actions.js",),
    )
    return render(m)
