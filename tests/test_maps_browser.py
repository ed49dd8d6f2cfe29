"""The command, heat and field pages in real headless Chromium with the network cut off.

Each test fails on any request to another host, console error, failed request or HTTP >= 400
(``page_check.assert_clean()``); screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import time
import uuid

import httpx
from playwright.sync_api import expect
from sqlalchemy import text

from cases.sample import SAMPLE_SOURCE
from tests.browser import PageCheck


def _open_incident(engine):
    """An open incident of the sample history, with its micro-grid's grid worker."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT i.code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat FROM incident i "
                "WHERE i.status = 'dispatched' AND i.source = :source ORDER BY i.code LIMIT 1"
            ),
            {"source": SAMPLE_SOURCE},
        ).one()


def test_command_map_shows_townships_incidents_and_live_reports(
    page_check: PageCheck, live_server, admin_headers, engine
) -> None:
    page_check.goto("/maps/command", wait_until="load")  # the event stream never goes idle
    page = page_check.page
    expect(page).to_have_title("指挥中心地图 · 达拉特旗网格")
    expect(page.locator(".wg-header .wg-user")).to_have_text("旗指挥中心值班员")
    expect(page.locator(".wg-header .wg-role")).to_have_text("指挥中心")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.wait_for_function("() => window.wanggeState && window.wanggeState.townshipCount === 8")
    expect(page.locator(".wg-panel")).to_contain_text("达拉特旗 指挥中心")
    # zoom onto an open incident of the history: its marker is drawn
    known = _open_incident(engine)
    page.evaluate(
        "([lat, lon]) => { const m = Object.keys(window).filter(k => k.startsWith('map_'))"
        ".map(k => window[k]).find(v => v instanceof L.Map); m.setView([lat, lon], 15); }",
        [known.lat, known.lon],
    )
    page.wait_for_function(
        "(code) => window.wanggeState.incidents.has(code)", arg=known.code, timeout=5000
    )
    expect(page.locator(".wg-count")).to_contain_text("当前视图")
    # a report posted through the API appears on the already open map within 2 s
    posted = time.monotonic()
    response = httpx.post(
        f"{live_server}/api/v1/incidents",
        json={
            "lon": known.lon + 0.0003,
            "lat": known.lat,
            "datum": "cgcs2000",
            "category": "0101",
            "description": "浏览器实时测试",
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **admin_headers},
    )
    assert response.status_code == 201
    code = response.json()["code"]
    page.wait_for_function(
        "(code) => window.wanggeState.incidents.has(code)", arg=code, timeout=2000
    )
    assert time.monotonic() - posted < 2.0
    expect(page.locator(".wg-feed")).to_contain_text(code)
    page_check.assert_clean()


def test_heat_page_shows_hotspot_classes(page_check: PageCheck) -> None:
    page_check.goto("/maps/heat", wait_until="load")
    page = page_check.page
    expect(page).to_have_title("热力与热点分析 · 达拉特旗网格")
    page.wait_for_function(
        "() => window.wanggeHeatState && window.wanggeHeatState.loaded", timeout=60000
    )
    counts = page.evaluate("() => window.wanggeHeatState.hotspotCounts")
    assert counts.get("热点 99%置信", 0) > 0, counts
    legend = page.locator(".wg-legend")
    expect(legend).to_contain_text("热点与冷点（微网格个数）")
    expect(legend).to_contain_text(f"热点 99%置信（{counts['热点 99%置信']}）")
    assert page.evaluate("() => window.wanggeHeatState.binCount") > 0
    page_check.assert_clean()


def test_field_page_shows_the_members_area_and_identifies_a_tap(
    page_check: PageCheck, engine
) -> None:
    with engine.connect() as conn:
        member, area, grid_name = conn.execute(
            text(
                "SELECT m.id, a.code, a.name FROM member m JOIN area a ON a.id = m.area_id "
                "WHERE m.kind = 'grid_worker' ORDER BY m.id LIMIT 1"
            )
        ).one()
    page_check.page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page_check.goto(f"/maps/field?member={member}", wait_until="load")
    page = page_check.page
    expect(page).to_have_title(f"我的网格 · {grid_name}")
    expect(page.locator(".wg-cases")).to_contain_text(grid_name)
    expect(page.locator(".wg-case-list")).not_to_contain_text("加载中", timeout=5000)
    assert page.evaluate("() => window.wanggeFieldState.area.getLayers().length") == 1
    assert page.evaluate("() => window.wanggeFieldState.neighbours.getLayers().length") > 0
    expect(page.locator(".leaflet-control-locate")).to_be_visible()
    # tap a point inside the member's grid: the popup names the micro-grid there
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :code AND generation_high IS NULL) q"
            ),
            {"code": area},
        ).one()
    page.evaluate(
        "([lat, lng]) => { const m = Object.keys(window).filter(k => k.startsWith('map_'))"
        ".map(k => window[k]).find(v => v instanceof L.Map); "
        "m.fire('click', {latlng: L.latLng(lat, lng)}); }",
        [lat, lon],
    )
    page.wait_for_function("() => window.wanggeFieldState.lastLocate !== undefined")
    located = page.evaluate("() => window.wanggeFieldState.lastLocate")
    assert located["chain"][3]["code"] == area
    expect(page.locator(".leaflet-popup-content")).to_contain_text(located["chain"][-1]["name"])
    page_check.assert_clean()
