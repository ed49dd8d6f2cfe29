"""Every file a page loads comes from this service, never from the internet.

Government networks are often cut off from it. The front-end packages pinned in
``package.json`` (installed into ``node_modules/`` by ``make setup``) are served read-only
under ``/static/vendor/<name>/``, our own scripts and styles under ``/static/wangge/``, and
:func:`localize` points folium's CDN links at those URLs. :func:`base_map` is the map every
page starts from, with the base layer chosen by ``WANGGE_BASEMAP``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import (
    Draw,
    Fullscreen,
    HeatMap,
    LocateControl,
    MarkerCluster,
    VectorGridProtobuf,
)
from folium.template import Template
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from geo.errors import WanggeError
from geo.settings import Settings

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "node_modules"
OWN_STATIC = Path(__file__).resolve().parent / "static" / "wangge"
VENDOR_URL = "/static/vendor"
OWN_URL = "/static/wangge"

#: What is served under ``/static/vendor/<name>/``: only the directories pages load from.
VENDORED: dict[str, Path] = {
    "leaflet": NODE_MODULES / "leaflet/dist",
    "jquery": NODE_MODULES / "jquery/dist",
    "bootstrap": NODE_MODULES / "bootstrap/dist",
    # all.min.css finds its fonts at ../webfonts/, so both sit under one prefix
    "fontawesome/css": NODE_MODULES / "@fortawesome/fontawesome-free/css",
    "fontawesome/webfonts": NODE_MODULES / "@fortawesome/fontawesome-free/webfonts",
    "awesome-markers": NODE_MODULES / "leaflet.awesome-markers/dist",
    "leaflet-draw": NODE_MODULES / "leaflet-draw/dist",
    "locatecontrol": NODE_MODULES / "leaflet.locatecontrol/dist",
    "markercluster": NODE_MODULES / "leaflet.markercluster/dist",
    "vectorgrid": NODE_MODULES / "leaflet.vectorgrid/dist",
    "fullscreen": NODE_MODULES / "leaflet.fullscreen",
    "swagger-ui": NODE_MODULES / "swagger-ui-dist",
    "redoc": NODE_MODULES / "redoc/bundles",
    "echarts": NODE_MODULES / "echarts/dist",
    # leaflet_heat.min.js, for HeatMap, ships inside the folium package
    "folium": Path(folium.__file__).resolve().parent / "templates",
}


def vendor(path: str) -> str:
    """The URL of a vendored file.

    Examples
    --------
    >>> vendor("leaflet/leaflet.js")
    '/static/vendor/leaflet/leaflet.js'
    """
    return f"{VENDOR_URL}/{path}"


def vendored_file(path: str) -> Path:
    """The file behind ``vendor(path)``.

    Examples
    --------
    >>> vendored_file("fontawesome/webfonts/fa-solid-900.woff2").name
    'fa-solid-900.woff2'
    """
    name = max((n for n in VENDORED if path.startswith(n + "/")), key=len)
    return VENDORED[name] / path.removeprefix(name + "/")


SWAGGER_JS = vendor("swagger-ui/swagger-ui-bundle.js")
SWAGGER_CSS = vendor("swagger-ui/swagger-ui.css")
FAVICON = vendor("swagger-ui/favicon-32x32.png")
REDOC_JS = vendor("redoc/redoc.standalone.js")
ECHARTS_JS = vendor("echarts/echarts.min.js")

#: A transparent pixel.
BLANK_IMAGE = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="

#: Vendored files served with one string replaced: Redoc's sidebar always loads its maker's
#: logo from a CDN, whatever its options say.
PATCHED: dict[str, tuple[str, str]] = {
    "redoc/redoc.standalone.js": ("https://cdn.redoc.ly/redoc/logo-mini.svg", BLANK_IMAGE),
}

#: folium's link names (they are also the keys that keep one copy per page) to our URLs;
#: None drops the link.
LOCAL_LINKS: dict[str, str | None] = {
    # folium.Map
    "leaflet": vendor("leaflet/leaflet.js"),
    "jquery": vendor("jquery/jquery.min.js"),
    "bootstrap": vendor("bootstrap/js/bootstrap.bundle.min.js"),
    "awesome_markers": vendor("awesome-markers/leaflet.awesome-markers.min.js"),
    "leaflet_css": vendor("leaflet/leaflet.css"),
    "bootstrap_css": vendor("bootstrap/css/bootstrap.min.css"),
    "glyphicons_css": None,  # Bootstrap 3's icon font: give folium.Icon prefix="fa"
    "awesome_markers_font_css": vendor("fontawesome/css/all.min.css"),
    "awesome_markers_css": vendor("awesome-markers/leaflet.awesome-markers.css"),
    "awesome_rotate_css": None,  # only Icon(angle=n) uses it; Font Awesome has 90/180/270
    # plugins
    "leaflet-heat.js": vendor("folium/leaflet_heat.min.js"),
    "leaflet_draw_js": vendor("leaflet-draw/leaflet.draw.js"),
    "leaflet_draw_css": vendor("leaflet-draw/leaflet.draw.css"),
    "Control_locate_min_js": vendor("locatecontrol/L.Control.Locate.min.js"),
    "Control_locate_min_css": vendor("locatecontrol/L.Control.Locate.min.css"),
    "vectorGrid": vendor("vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
    "markerclusterjs": vendor("markercluster/leaflet.markercluster.js"),
    "markerclustercss": vendor("markercluster/MarkerCluster.css"),
    "markerclusterdefaultcss": vendor("markercluster/MarkerCluster.Default.css"),
    "Control.Fullscreen.js": vendor("fullscreen/Control.FullScreen.js"),
    "Control.FullScreen.css": vendor("fullscreen/Control.FullScreen.css"),
}

#: The folium classes whose links :func:`localize` rewrites (subclasses such as
#: FastMarkerCluster inherit them). Any other folium element with links of its own still
#: points at a CDN: add it here, and its files to package.json, before a page uses it.
LOCALIZED: tuple[type[JSCSSMixin], ...] = (
    folium.Map,
    HeatMap,
    Draw,
    LocateControl,
    VectorGridProtobuf,
    MarkerCluster,
    Fullscreen,
)


class AssetsMissing(WanggeError):
    """The vendored front-end packages are not installed (``node_modules/``)."""


class UnknownLink(WanggeError):
    """A folium class links a file :data:`LOCAL_LINKS` does not know (a folium upgrade?)."""


def localize() -> None:
    """Point folium's Map and the plugins in :data:`LOCALIZED` at ``/static/vendor/``.

    Idempotent; links are matched by folium's names, so a folium upgrade that adds one fails
    loudly here instead of putting a CDN into the pages.

    Examples
    --------
    >>> localize()
    >>> folium.Map.default_js[0]
    ('leaflet', '/static/vendor/leaflet/leaflet.js')
    """
    for cls in LOCALIZED:
        # new lists: folium's are shared module globals, mutated in place by add_js_link
        cls.default_js = _local_links(cls, cls.default_js)
        cls.default_css = _local_links(cls, cls.default_css)


def _local_links(cls: type, links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    local = []
    for name, url in links:
        if name not in LOCAL_LINKS:
            raise UnknownLink(f"{cls.__name__} links {name} = {url}, not served by maps/assets.py")
        target = LOCAL_LINKS[name]
        if target is not None:
            local.append((name, target))
    return local


def mount_static(app: Starlette) -> None:
    """Serve :data:`VENDORED` under ``/static/vendor/`` and ``maps/static/wangge/``."""
    missing = [path for path in VENDORED.values() if not path.is_dir()]
    if missing:
        raise AssetsMissing(
            f"page assets missing: {missing[0]} and {len(missing) - 1} more; "
            "run `make setup` (npm ci installs package-lock.json into node_modules/)"
        )
    for path, (old, new) in PATCHED.items():  # routes before the mounts, so they win
        app.add_route(vendor(path), _patched_file(path, old, new), include_in_schema=False)
    for name, directory in VENDORED.items():
        app.mount(f"{VENDOR_URL}/{name}", StaticFiles(directory=directory), name=f"vendor/{name}")
    app.mount(OWN_URL, StaticFiles(directory=OWN_STATIC), name="wangge")


def _patched_file(path: str, old: str, new: str) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint answering the vendored ``path`` with ``old`` replaced by ``new`` once."""
    text = vendored_file(path).read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise AssetsMissing(f"{path} no longer contains {old} once; review PATCHED")
    body = text.replace(old, new).encode()
    media_type = "text/javascript" if path.endswith(".js") else "text/css"

    async def endpoint(request: Request) -> Response:
        return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=3600"})

    return endpoint


# The base map ------------------------------------------------------------------------------

#: Dalad Banner's middle, (lat, lon).
DALAD_CENTRE = (40.18, 109.85)
ATTRIBUTION_PREFIX = "网格地图"
TIANDITU_ATTRIBUTION = "© 天地图 国家地理信息公共服务平台"
#: The map's deepest zoom (~0.6 m a pixel here), also Tianditu's.
MAX_ZOOM = 18
#: An empty base layer shows this instead of Leaflet's grey.
BACKGROUND_CSS = "<style>.folium-map.leaflet-container { background: #f4f2ec; }</style>"


def tianditu_url(layer: str, key: str) -> str:
    """Tianditu's Web Mercator tiles: ``vec`` (roads and areas) or ``cva`` (Chinese labels).

    Examples
    --------
    >>> tianditu_url("cva", "k")
    'https://t{s}.tianditu.gov.cn/DataServer?T=cva_w&x={x}&y={y}&l={z}&tk=k'
    """
    tiles = "https://t{s}.tianditu.gov.cn/DataServer?T=LAYER_w&x={x}&y={y}&l={z}&tk=KEY"
    return tiles.replace("LAYER", layer).replace("KEY", quote(key, safe=""))


def base_layers(settings: Settings) -> list[folium.TileLayer]:
    """The tile layers ``settings.basemap`` asks for: none, Tianditu's two, or one XYZ layer."""
    if settings.basemap == "none":
        return []
    if settings.basemap == "tianditu":
        assert settings.tianditu_key, "Settings refuses tianditu without a key"
        tianditu: dict[str, Any] = {
            "attr": TIANDITU_ATTRIBUTION,
            "subdomains": "01234567",
            "max_zoom": MAX_ZOOM,
        }
        return [
            folium.TileLayer(tianditu_url("vec", settings.tianditu_key), name="天地图", **tianditu),
            folium.TileLayer(
                tianditu_url("cva", settings.tianditu_key),
                name="天地图注记",
                overlay=True,
                control=False,
                **tianditu,
            ),
        ]
    where = urlsplit(settings.basemap).netloc or "本服务"
    return [folium.TileLayer(settings.basemap, attr=f"底图：{where}", name="底图")]


class _AttributionPrefix(MacroElement):
    """Replaces Leaflet's "Leaflet" link (to its web site) with our Chinese text."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {%- set map = this._parent.get_name() %}
            if ({{ map }}.attributionControl) {
                {{ map }}.attributionControl.setPrefix({{ this.prefix|tojson }});
            }
        {% endmacro %}
        """
    )

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._name = "AttributionPrefix"
        self.prefix = prefix


class _MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's own also shows miles and feet)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


def root(m: folium.Map) -> Figure:
    """The page a map is drawn on (folium types ``get_root()`` as a plain Element)."""
    figure = m.get_root()
    assert isinstance(figure, Figure), "a folium Map always sits in a Figure"
    return figure


def base_map(settings: Settings, **folium_kwargs: Any) -> folium.Map:
    """A folium Map with our defaults and the configured base layer, loading nothing remote.

    Defaults (each can be overridden by ``folium_kwargs``): centred on Dalad Banner at zoom 9,
    canvas rendering, zoom control and a metric scale bar. The base layer comes from
    ``settings.basemap`` only, so ``tiles`` is refused.

    Examples
    --------
    >>> m = base_map(Settings(), zoom_start=11)
    >>> "https://" in m.get_root().render()
    False
    """
    if "tiles" in folium_kwargs:
        raise TypeError("base_map: the base layer comes from WANGGE_BASEMAP, not tiles=")
    localize()
    options: dict[str, Any] = {
        "location": DALAD_CENTRE,
        "zoom_start": 9,
        "prefer_canvas": True,
        "zoom_control": True,
        "control_scale": True,
        **folium_kwargs,
    }
    metric_scale = options.pop("control_scale")
    m = folium.Map(tiles=None, control_scale=False, **options)
    # Leaflet takes the zoom range from tile layers; without one MarkerCluster refuses to start
    m.options.setdefault("max_zoom", MAX_ZOOM)
    for layer in base_layers(settings):
        layer.add_to(m)
    root(m).header.add_child(Element(BACKGROUND_CSS), name="wangge_background")
    _AttributionPrefix(ATTRIBUTION_PREFIX).add_to(m)
    if metric_scale:
        _MetricScale().add_to(m)
    return m
