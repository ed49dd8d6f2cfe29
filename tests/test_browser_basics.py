"""/docs, /redoc and /maps/ in a real headless Chromium with every other host blocked.

Each test fails on any request to another host, console error, failed request or HTTP
answer >= 400 (``page_check.assert_clean()``); screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from playwright.sync_api import expect

from geo.settings import Settings
from tests.browser import PageCheck
from tests.test_assets import plugin_map

#: Every Leaflet map on the page (folium names them map_<hash>) and its GeoJSON features.
FEATURES_JS = """
() => {
  const maps = Object.keys(window)
    .filter((k) => k.startsWith("map_") && window[k] instanceof L.Map)
    .map((k) => window[k]);
  const features = [];
  maps.forEach((m) => m.eachLayer((layer) => {
    if (layer.feature) {
      features.push({
        level: layer.feature.properties.level,
        shown: m.getBounds().intersects(layer.getBounds()),
      });
    }
  }));
  return { maps: maps.length, features };
}
"""


def test_swagger_ui(page_check: PageCheck) -> None:
    page_check.goto("/docs")
    page = page_check.page
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("网格 Wangge")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page_check.assert_clean()


def test_redoc(page_check: PageCheck) -> None:
    page_check.goto("/redoc")
    page = page_check.page
    expect(page.locator(".api-info h1")).to_contain_text("网格 Wangge")
    expect(page.get_by_role("menuitem", name="areas", exact=True)).to_be_visible()
    page_check.assert_clean()


def test_maps_index_shows_the_eight_townships(page_check: PageCheck) -> None:
    page_check.goto("/maps/")
    page = page_check.page
    expect(page).to_have_title("网格地图")
    for name, href in [("指挥中心地图", "/maps/command"), ("热力与热点", "/maps/heat")]:
        expect(page.get_by_role("link", name=name)).to_have_attribute("href", href)
    expect(page.get_by_role("spinbutton", name="我的网格")).to_be_visible()
    drawn = page.evaluate(FEATURES_JS)
    assert drawn["maps"] == 1
    assert drawn["features"] == [{"level": "township", "shown": True}] * 8
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("网格地图")
    page_check.assert_clean()


def test_every_localized_plugin_runs(page_check: PageCheck) -> None:
    """folium's plugin templates with our vendored versions: no script error, controls shown."""
    page_check.context.route(
        "**/__test__/tiles/**",
        lambda route: route.fulfill(body=b"", content_type="application/x-protobuf"),
    )
    html = plugin_map(Settings(), tiles="/__test__/tiles/{z}/{x}/{y}.pbf").get_root().render()
    page_check.serve_html("/__test__/plugins", html)
    page_check.goto("/__test__/plugins")
    page = page_check.page
    for selector in (
        ".leaflet-control-locate",  # LocateControl
        ".leaflet-draw-toolbar",  # Draw
        ".leaflet-control-zoom-fullscreen",  # Fullscreen
        ".leaflet-heatmap-layer",  # HeatMap
        ".awesome-marker, .marker-cluster",  # MarkerCluster with an awesome marker
    ):
        expect(page.locator(selector).first, page_check.problems).to_be_attached()
    fonts = page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
    assert fonts, "Font Awesome's solid font did not load"
    page_check.assert_clean()
