"""Every file a page loads is served by the service: folium's links, CSS references, the docs.

Rendered HTML only; the same pages in a real browser are in test_browser_basics.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import folium
import pytest
from fastapi.testclient import TestClient
from folium.plugins import (
    Draw,
    FastMarkerCluster,
    Fullscreen,
    HeatMap,
    LocateControl,
    MarkerCluster,
    VectorGridProtobuf,
)
from pydantic import ValidationError
from starlette.applications import Starlette

from api import cli
from geo.settings import Settings
from maps import assets
from tests import browser

#: An absolute URL anywhere in a page (scripts, styles, tile templates, links).
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
LINKED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def decoded(html: str) -> str:
    """``html`` with the JSON escapes folium's ``tojson`` puts into scripts undone."""
    html = html.replace("\\/", "/")
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), html)


def absolute_urls(html: str) -> set[str]:
    return set(ABSOLUTE_URL.findall(decoded(html)))


def localized_links() -> list[tuple[str, str]]:
    assets.localize()
    return [(n, u) for cls in assets.LOCALIZED for n, u in (*cls.default_js, *cls.default_css)]


def test_folium_links_point_at_files_the_service_serves(client: TestClient) -> None:
    links = localized_links()
    assert {name for name, _ in links} == {n for n, u in assets.LOCAL_LINKS.items() if u}
    for name, url in links:
        assert url.startswith(assets.VENDOR_URL + "/"), (name, url)
        assert assets.vendored_file(url.removeprefix(assets.VENDOR_URL + "/")).is_file(), url
        response = client.get(url)
        assert response.status_code == 200, (name, url)
        kind = "javascript" if url.endswith(".js") else "css"
        assert kind in response.headers["content-type"], (url, response.headers["content-type"])


def test_localize_is_idempotent_and_drops_only_the_unserved_links() -> None:
    first = localized_links()
    assert localized_links() == first
    assert [n for n, u in assets.LOCAL_LINKS.items() if u is None] == [
        "glyphicons_css",
        "awesome_rotate_css",
    ]
    # subclasses inherit the local links
    assert FastMarkerCluster.default_js == MarkerCluster.default_js


def test_localize_refuses_a_link_it_does_not_know(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HeatMap, "default_js", [("heat2", "https://cdn.example/heat2.js")])
    with pytest.raises(assets.UnknownLink, match="HeatMap links heat2"):
        assets.localize()


def test_relative_urls_in_the_stylesheets_resolve(client: TestClient) -> None:
    """Fonts and images the CSS refers to (Font Awesome's ../webfonts/, Leaflet's images)."""
    stylesheets = [u for _, u in localized_links() if u.endswith(".css")] + [assets.SWAGGER_CSS]
    checked = 0
    for css_url in stylesheets:
        css = client.get(css_url).text
        for ref in set(CSS_URL.findall(css)):
            if ref.startswith(("data:", "#")):
                continue
            assert not ABSOLUTE_URL.match(ref), (css_url, ref)
            url = urlsplit(urljoin(css_url, ref)).path
            assert client.get(url).status_code == 200, (css_url, ref)
            checked += 1
    assert checked == 19  # Font Awesome 8 fonts, Leaflet 3 images, Draw 3, markers 4, fullscreen 1


def plugin_map(
    settings: Settings, tiles: str = "/api/v1/tiles/areas/{z}/{x}/{y}.pbf"
) -> folium.Map:
    """A base map with every plugin localize() rewrites, as a page might use them."""
    m = assets.base_map(settings)
    points = [[40.2, 109.9], [40.25, 110.0], [40.3, 110.1]]
    HeatMap(points).add_to(m)
    Draw().add_to(m)
    LocateControl().add_to(m)
    Fullscreen().add_to(m)
    VectorGridProtobuf(tiles, "区域").add_to(m)
    cluster = MarkerCluster().add_to(m)
    folium.Marker(points[0], icon=folium.Icon(prefix="fa", icon="house")).add_to(cluster)
    FastMarkerCluster(points).add_to(m)
    return m


def test_base_map_loads_nothing_remote(client: TestClient) -> None:
    html = decoded(plugin_map(Settings()).get_root().render())
    assert absolute_urls(html) == set()
    assert "L.tileLayer" not in html
    assert '"preferCanvas": true' in html and '"网格地图"' in html
    linked = set(LINKED.findall(html))
    assert len(linked) == 19  # the Map 8, the plugins 11
    for url in linked:
        assert client.get(url).status_code == 200, url


def test_base_map_with_an_xyz_template() -> None:
    tiles = "http://tiles.local/{z}/{x}/{y}.png"
    html = decoded(plugin_map(Settings(basemap=tiles)).get_root().render())
    assert absolute_urls(html) == {tiles}
    assert "底图：tiles.local" in html
    own = plugin_map(Settings(basemap="/tiles/{z}/{x}/{y}.png")).get_root().render()
    assert absolute_urls(own) == set() and '"/tiles/{z}/{x}/{y}.png"' in own


def test_base_map_with_tianditu() -> None:
    html = decoded(plugin_map(Settings(basemap="tianditu", tianditu_key="k 1")).get_root().render())
    assert absolute_urls(html) == {
        f"https://t{{s}}.tianditu.gov.cn/DataServer?T={layer}_w&x={{x}}&y={{y}}&l={{z}}&tk=k%201"
        for layer in ("vec", "cva")
    }
    assert "天地图" in html and '"subdomains": "01234567"' in html


def test_base_map_takes_its_base_layer_from_settings_only() -> None:
    with pytest.raises(TypeError, match="WANGGE_BASEMAP"):
        assets.base_map(Settings(), tiles="OpenStreetMap")


def test_tianditu_without_a_key_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValidationError, match="needs WANGGE_TIANDITU_KEY"):
        Settings(basemap="tianditu")
    monkeypatch.setenv("WANGGE_BASEMAP", "tianditu")
    monkeypatch.setattr(sys, "argv", ["wangge", "run"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 1
    assert capsys.readouterr().err == (
        "wangge: WANGGE_BASEMAP=tianditu needs WANGGE_TIANDITU_KEY (the Tianditu tk)\n"
    )


@pytest.mark.parametrize("value", ["osm", "OpenStreetMap", "http://tiles.local/{z}/{x}.png"])
def test_a_basemap_that_is_no_template_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="must be none, tianditu or an XYZ URL template"):
        Settings(basemap=value)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_only_local_files(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    assert absolute_urls(html) == set()
    linked = set(LINKED.findall(html)) | set(re.findall(r'src="([^"]+)"', html))
    assert linked >= {assets.FAVICON}
    for url in linked:
        assert client.get(url).status_code == 200, url
    if path == "/docs":
        assert assets.SWAGGER_JS in html and '"validatorUrl": null' in html
    else:
        assert assets.REDOC_JS in html  # and no web fonts: absolute_urls(html) is empty
        # served with its maker's logo (from a CDN) replaced by a blank pixel
        assert "cdn.redoc.ly" not in client.get(assets.REDOC_JS).text


def test_maps_index_page(client: TestClient) -> None:
    response = client.get("/maps/")
    assert response.status_code == 200
    html = response.text
    assert "<title>网格地图</title>" in html
    for text, href in [("指挥中心地图", "/maps/command"), ("热力与热点", "/maps/heat")]:
        assert f'href="{href}">{text}</a>' in html
    assert 'action="/maps/field"' in html and 'name="member"' in html
    # the admin's index: Dalad's eight townships and Haibowan's five
    assert len(re.findall(r'"level":\s*"township"', html)) == 13
    assert absolute_urls(html) == set()
    assert client.get("/maps", follow_redirects=False).headers["location"].endswith("/maps/")


def test_missing_assets_stop_the_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(assets.VENDORED, "leaflet", tmp_path / "nowhere")
    with pytest.raises(assets.AssetsMissing, match="run `make setup`"):
        assets.mount_static(Starlette())


def test_missing_chromium_is_a_failure_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(RuntimeError, match="apt-get install chromium"):
        browser.launch_chromium(None)  # type: ignore[arg-type]  # never reached


def test_favicon_is_served(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
