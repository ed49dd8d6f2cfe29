"""The command map (/maps/command) in real headless Chromium, the network cut off.

Expected figures, names and counts come from SQL written here, not from the code under test.
Clicks are real mouse clicks at the pixel of a point, so the order of the layers (what lies
over what) is what is tested. Each test fails on any request to another host, console error,
failed request or HTTP >= 400; screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import uuid

import httpx
import mapbox_vector_tile
from playwright.sync_api import Page, Response, expect
from sqlalchemy import text

from geo.settings import Settings
from geo.tiles import tiles_covering
from maps.command import command_page
from maps.pages import Viewer
from tests.browser import PageCheck

MAP = "Object.values(window).find(v => v instanceof L.Map)"
#: The banner seat (树林召镇), where incidents are densest.
SEAT = (110.04, 40.405)
CLOSED = ("void", "closed", "evaluated")
#: Latin-script words allowed on screen: incident codes, department codes, metric units.
ALLOWED = re.compile(r"^(DLT-\d{4}-\d{6}|D\d{2}|m|km)$")


def _latin_words(page: Page) -> list[str]:
    """Latin-script words in the page's visible text that are neither codes nor units."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9_-]*", page.evaluate("() => document.body.innerText"))
    return [w for w in words if not ALLOWED.match(w)]


def _ready(page: Page) -> None:
    page.wait_for_function(
        "() => window.wanggeState && window.wanggeState.figures && "
        "window.wanggeState.townshipCount === 8 && window.wanggeState.lastLoad && "
        "window.wanggeState.tilesReady",
        timeout=20000,
    )


def _view(page: Page, lon: float, lat: float, zoom: int) -> None:
    """Centre the map on a point and wait until the markers of the new view are in."""
    before = page.evaluate("() => performance.now()")
    page.evaluate(
        f"([lat, lon, z]) => {MAP}.setView([lat, lon], z, {{animate: false}})", [lat, lon, zoom]
    )
    page.wait_for_function(
        "(t) => { const l = window.wanggeState.lastLoad; return l && l.started > t; }",
        arg=before,
        timeout=20000,
    )


def _click_at(page: Page, lon: float, lat: float) -> None:
    """A real mouse click at the pixel where a point is drawn."""
    x, y = page.evaluate(
        f"([lat, lon]) => {{ const p = {MAP}.latLngToContainerPoint([lat, lon]); "
        "return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def _mask(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1)


def test_first_view_shows_density_figures_and_township_names(page_check: PageCheck, engine) -> None:
    page = page_check.page
    page.set_viewport_size({"width": 1920, "height": 1080})
    responses: list[Response] = []
    page.on("response", lambda r: responses.append(r) if "/tiles/incidents/" in r.url else None)
    described: list[str] = []
    page.on("request", lambda r: described.append(r.url) if r.url.endswith(".json") else None)
    page_check.goto("/maps/command", wait_until="load")  # the event stream never goes idle
    _ready(page)
    page.wait_for_function("() => window.wanggeState.countsLoaded > 0", timeout=20000)
    expect(page).to_have_title("指挥中心地图 · 达拉特旗网格")
    figures = page.evaluate("() => window.wanggeState.figures")
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE reported_at >= date_trunc('day', "
                "CAST(:now AS timestamptz) AT TIME ZONE 'Asia/Shanghai') "
                "AT TIME ZONE 'Asia/Shanghai') AS new_today, "
                "count(*) FILTER (WHERE status::text <> ALL(:closed)) AS open, "
                "count(*) FILTER (WHERE status::text <> ALL(:running) "
                "AND coalesce(step_due_at, deadline_at) >= :now "
                "AND coalesce(step_due_at, deadline_at) < CAST(:now AS timestamptz) "
                "+ interval '1 day') AS due_24h, "
                "count(*) FILTER (WHERE status::text <> ALL(:running) "
                "AND coalesce(step_due_at, deadline_at) < :now) AS overdue FROM incident "
                # the command centre's scope is its banner (Haibowan is the province's)
                "WHERE queue_area_id IN (SELECT id FROM area WHERE code LIKE '150621%')"
            ),
            {"now": figures["as_of"], "closed": list(CLOSED), "running": [*CLOSED, "hung"]},
        ).one()
        townships = conn.execute(
            text(
                "SELECT name FROM area WHERE level = 'township' AND generation_high IS NULL "
                "AND code LIKE '150621%' "
                "ORDER BY name"
            )
        ).scalars()
        open_by_micro_grid = conn.execute(
            text(
                "SELECT count(*) FROM incident i JOIN area a ON a.id = i.micro_grid_id "
                "WHERE i.status::text <> ALL(:closed) AND a.generation_high IS NULL "
                "AND a.code LIKE '150621%'"
            ),
            {"closed": list(CLOSED)},
        ).scalar_one()
        township_names = sorted(townships)
    # the strip shows the sample's exact figures
    for key, label in [
        ("new_today", "新增(今日)"),
        ("open", "在办"),
        ("due_24h", "24小时内到期"),
        ("overdue", "已超期"),
    ]:
        cell = page.locator(f".wg-figures .wg-fig-{key}")
        expect(cell.locator("b")).to_have_text(str(getattr(expected, key)))
        expect(cell.locator("span")).to_have_text(label)
    assert expected.open > 100 and expected.overdue > 0
    # the density layer is on, with its legend; its tiles count every open incident once
    assert page.evaluate(f"() => {MAP}.hasLayer(window.wanggeState.counts)")
    expect(page.locator(".wg-legend")).to_contain_text("事件密度（按微网格，未办结数）")
    expect(page.locator(".wg-legend")).to_contain_text("6件及以上")
    open_in_tiles = {}
    drawn = {r.url for r in responses if r.status == 200 and "/incidents/10/" in r.url}
    assert len(drawn) > 10
    for url in drawn:  # read again with the page's session (Chromium may drop the bodies)
        body = page.context.request.get(url).body()
        for feature in mapbox_vector_tile.decode(body)["incidents"]["features"]:
            open_in_tiles[feature["properties"]["code"]] = feature["properties"]["open_count"]
    assert sum(open_in_tiles.values()) == open_by_micro_grid
    # the tile templates and zooms came from the TileJSON, each asked for once
    tilejson = sorted(u.removeprefix(page_check.url("")) for u in described if "/tiles/" in u)
    assert tilejson == ["/tiles/areas.json", "/tiles/coverage.json", "/tiles/incidents.json"]
    areas = page.evaluate(
        "() => { const l = Object.values(window).find(v => v instanceof L.VectorGrid && "
        "v._url.includes('/tiles/areas/')); "
        "return [l._url, l.options.minZoom, l.options.maxNativeZoom]; }"
    )
    assert areas == [page_check.url("/tiles/areas/{z}/{x}/{y}.pbf"), 9, 16]
    # the eight townships are named on the map
    labels = page.locator(".wg-label-township")
    expect(labels).to_have_count(8)
    assert sorted(labels.all_inner_texts()) == township_names
    assert page.evaluate(f"() => {MAP}.getZoom()") == 10
    assert _latin_words(page) == []
    page_check.assert_clean()


def test_a_click_answers_with_the_micro_grid_and_its_people(page_check: PageCheck, engine) -> None:
    with engine.connect() as conn:
        spot = conn.execute(
            text(
                "SELECT a.id, a.code, a.name, a.parent_id, ST_X(a.p) AS lon, ST_Y(a.p) AS lat "
                "FROM (SELECT id, code, name, parent_id, ST_PointOnSurface(geom) AS p FROM area "
                "      WHERE level = 'micro_grid' AND generation_high IS NULL "
                "      AND code LIKE '150621001%') a "
                "WHERE EXISTS (SELECT 1 FROM member m WHERE m.area_id = a.id "
                "              AND m.kind = 'party_member') "
                "AND EXISTS (SELECT 1 FROM member m WHERE m.area_id = a.parent_id "
                "            AND m.kind = 'grid_worker') "
                "AND NOT EXISTS (SELECT 1 FROM incident i WHERE ST_DWithin(CAST(i.geom AS "
                "geography), CAST(a.p AS geography), 250)) "
                "ORDER BY a.code LIMIT 1"
            )
        ).one()
        worker = conn.execute(
            text(
                "SELECT name FROM member WHERE area_id = :grid AND kind = 'grid_worker' "
                "ORDER BY id LIMIT 1"
            ),
            {"grid": spot.parent_id},
        ).scalar_one()
        party = conn.execute(
            text("SELECT name FROM member WHERE area_id = :id AND kind = 'party_member'"),
            {"id": spot.id},
        ).scalars()
        party_members = list(party)
    page_check.goto("/maps/command", wait_until="load")
    page = page_check.page
    _ready(page)
    for zoom in (14, 11):  # with the micro-grid outlines drawn, and without
        page.evaluate(f"() => {MAP}.closePopup()")
        _view(page, spot.lon, spot.lat, zoom)
        page.evaluate("() => { window.wanggeState.lastLocate = undefined; }")
        _click_at(page, spot.lon, spot.lat)
        page.wait_for_function("() => window.wanggeState.lastLocate !== undefined")
        popup = page.locator(".leaflet-popup-content")
        expect(popup.locator("b")).to_have_text(spot.name)
        expect(popup).to_contain_text(spot.code)
        expect(popup).to_contain_text(f"网格员：{_mask(worker)}")
        for name in party_members:
            expect(popup).to_contain_text(f"党员：{_mask(name)}")
        expect(popup).not_to_contain_text(worker)  # never in clear
        located = page.evaluate("() => window.wanggeState.lastLocate.chain.map(c => c.level)")
        assert located == ["banner", "township", "village", "grid", "micro_grid"]
    assert _latin_words(page) == []
    page_check.assert_clean()


def test_after_toggling_townships_a_marker_opens_its_own_case_panel(
    page_check: PageCheck, engine
) -> None:
    with engine.connect() as conn:
        known = conn.execute(
            text(
                "SELECT i.code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, "
                "to_char(i.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS rep, "
                "to_char(i.deadline_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS due "
                "FROM incident i WHERE i.status = 'dispatched' AND i.deadline_at < now() "
                "AND NOT EXISTS (SELECT 1 FROM incident o WHERE o.id <> i.id "
                "  AND o.status::text <> ALL(:closed) "
                "  AND ST_DWithin(CAST(o.geom AS geography), CAST(i.geom AS geography), 100)) "
                "ORDER BY i.code LIMIT 1"
            ),
            {"closed": list(CLOSED)},
        ).one()
    page_check.goto("/maps/command", wait_until="load")
    page = page_check.page
    _ready(page)
    _view(page, known.lon, known.lat, 16)
    page.wait_for_function("(c) => window.wanggeState.incidents.has(c)", arg=known.code)
    toggle = page.locator(".leaflet-control-layers-overlays label", has_text="苏木镇").locator(
        "input"
    )
    toggle.click()
    assert not page.evaluate(f"() => {MAP}.hasLayer(window.wanggeState.townships)")
    toggle.click()
    assert page.evaluate(f"() => {MAP}.hasLayer(window.wanggeState.townships)")
    _click_at(page, known.lon, known.lat)
    panel = page.locator(".wg-case-panel")
    expect(panel.locator("h2")).to_have_text(f"{known.code} · 已派遣")
    expect(panel.locator(".wg-badge")).to_have_text("已派遣/部门处理")
    expect(panel).to_contain_text(f"上报时间{known.rep}")
    expect(panel).to_contain_text(f"处置时限 {known.due} 已超期")
    # overdue shows on the map too: the marker is ringed
    ringed = page.locator(".wg-mk.wg-overdue")
    assert ringed.count() >= 1
    assert page.evaluate("() => window.wanggeState.lastIncident") == known.code
    assert _latin_words(page) == []
    page_check.assert_clean()


def test_markers_cluster_past_a_page_with_the_true_count(page_check: PageCheck, engine) -> None:
    page_check.goto("/maps/command", wait_until="load")
    page = page_check.page
    _ready(page)
    _view(page, *SEAT, 13)
    page.select_option(".wg-panel select[name=status]", "all")
    page.wait_for_function(
        "() => window.wanggeState.lastLoad.count > 500 && "
        "document.querySelector('.wg-count').textContent.indexOf('当前视图') === 0",
        timeout=20000,
    )
    load = page.evaluate("() => window.wanggeState.lastLoad")
    west, south, east, north = (float(v) for v in load["bbox"].split(","))
    with engine.connect() as conn:
        in_view = conn.execute(
            text(
                "SELECT count(*) FROM incident WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4490)"
            ),
            {"w": west, "s": south, "e": east, "n": north},
        ).scalar_one()
    assert in_view > 500
    assert load["count"] == in_view
    expect(page.locator(".wg-count")).to_have_text(f"当前视图：{in_view} 个事件")
    clusters = page.locator(".marker-cluster")
    assert clusters.count() > 0
    shown = sum(int(t) for t in page.locator(".marker-cluster span").all_inner_texts())
    singles = page.locator(".wg-mk").count()
    assert 0 < shown + singles <= in_view  # clusters and markers drawn in the visible part
    assert _latin_words(page) == []
    page_check.assert_clean()


def test_a_case_filed_through_the_api_appears_in_the_feed(
    page_check: PageCheck, live_server, admin_headers, engine
) -> None:
    lon, lat = SEAT[0] + 0.0021, SEAT[1] + 0.0013
    page_check.goto("/maps/command", wait_until="load")
    page = page_check.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _ready(page)
    _view(page, lon, lat, 14)
    expect(page.locator(".wg-feed")).to_contain_text("暂无新事件")
    response = httpx.post(
        f"{live_server}/api/v1/incidents",
        json={
            "lon": lon,
            "lat": lat,
            "datum": "cgcs2000",
            "category": "0101",
            "description": "浏览器实时测试：指挥中心动态",
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **admin_headers},
    )
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    item = page.locator(f".wg-feed li[data-code='{code}']")
    expect(item).to_contain_text(f"新上报 {code} 已上报", timeout=3000)
    expect(page.locator(".wg-feed-empty")).to_be_hidden()
    expect(page.locator(".wg-pulse")).to_have_count(1)  # the short highlight where it landed
    page.wait_for_function("(c) => window.wanggeState.incidents.has(c)", arg=code)
    # the count tile holding the new case is fetched again, past the browser's cache
    [(z, x, y)] = list(tiles_covering((lon, lat, lon, lat), 14))
    page.wait_for_function("() => window.wanggeState.countRefreshes.length === 1")
    refreshed = [u for u in requests if f"/tiles/incidents/{z}/{x}/{y}.pbf?v=" in u]
    assert refreshed and not refreshed[-1].endswith("v=0"), requests
    # the figures follow
    with engine.connect() as conn:
        new_today = conn.execute(
            text(
                "SELECT count(*) FROM incident WHERE reported_at >= date_trunc('day', now() "
                "AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai' "
                "AND queue_area_id IN (SELECT id FROM area WHERE code LIKE '150621%')"
            )
        ).scalar_one()
    expect(page.locator(".wg-fig-new_today b")).to_have_text(str(new_today))
    # a click on the entry flies there and opens the case
    page.evaluate(f"() => {MAP}.setView([40.2, 109.9], 11, {{animate: false}})")
    item.click()
    panel = page.locator(".wg-case-panel")
    expect(panel.locator("h2")).to_have_text(f"{code} · 已上报")  # after the flight: 15 s
    expect(panel.locator(".wg-trail li")).to_have_count(1)
    assert page.evaluate(f"() => {MAP}.getZoom()") == 16
    assert _latin_words(page) == []
    page_check.assert_clean()


#: Every vector tile layer on the map has all its tiles (Leaflet's GridLayer._noTilesToLoad).
TILES_IN = (
    "() => Object.values(window).filter(v => v instanceof L.VectorGrid)"
    ".every(l => !l._map || l._noTilesToLoad())"
)


def _markers_after_zoom(page: Page, url: str) -> tuple[list[float], list[int]]:
    """Milliseconds from a zoom command to the view's markers drawn, and the area tile
    requests each zoom made, over a sequence of zooms on the seat."""
    area_requests: list[str] = []
    page.on(
        "request",
        lambda r: (
            area_requests.append(r.url)
            if re.search(r"/tiles/(areas|village|grid|micro_grid)/", r.url)
            else None
        ),
    )
    page.goto(url, wait_until="load")
    _ready(page)
    page.wait_for_function(TILES_IN, timeout=60000)
    timings, requests = [], []
    for zoom in (12, 13, 14, 15, 14, 13):
        area_requests.clear()
        started = page.evaluate("() => performance.now()")
        _view(page, SEAT[0] + zoom * 0.002, SEAT[1], zoom)
        page.wait_for_function("(t) => window.wanggeState.lastLoad.finished > t", arg=started)
        timings.append(page.evaluate("(t) => window.wanggeState.lastLoad.finished - t", started))
        page.wait_for_function(TILES_IN, timeout=60000)  # the next zoom starts from a quiet page
        requests.append(len(area_requests))
    return timings, requests


def test_markers_after_zoom_with_combined_and_per_level_area_tiles(
    page_check: PageCheck, engine
) -> None:
    """Prints the timings (they are judged in bench/, not here); asserts the requests."""
    viewer = Viewer("旗指挥中心值班员", "指挥中心")
    variants = {
        "before: per-level tiles, markers asked last": {
            "combined_tiles": False,
            "markers_first": False,
        },
        "per-level tiles, markers asked first": {"combined_tiles": False},
        "after: combined tile, markers asked first": {},
    }
    with engine.connect() as conn:
        for i, options in enumerate(variants.values()):
            html = command_page(conn, Settings(), viewer, **options)  # type: ignore[arg-type]
            page_check.serve_html(f"/maps/command-variant-{i}", html)
    page = page_check.page
    page.set_viewport_size({"width": 1920, "height": 1080})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    # a first pass warms the server, which keeps every level's tiles for every variant
    _markers_after_zoom(page, page_check.url("/maps/command"))
    results = {}
    for i, label in enumerate(variants):
        results[label] = _markers_after_zoom(page, page_check.url(f"/maps/command-variant-{i}"))
    median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
    print("\nmarkers after zoom, 1920×1080, z12→15→13 on the seat, browser cache off:")
    for label, (timings, requests) in results.items():
        print(
            f"  {label}: {[round(t) for t in timings]} ms (median {median(timings):.0f}), "
            f"area tile requests {requests}"
        )
    # one area request per tile position instead of one per level drawn (2 at z12, 3 from 13)
    before_requests = results["before: per-level tiles, markers asked last"][1]
    after_requests = results["after: combined tile, markers asked first"][1]
    assert sum(after_requests) > 0
    assert sum(before_requests) >= 2 * sum(after_requests)
    # leaving a page ends its event stream; nothing else may have failed
    stream_ends = [p for p in page_check.problems if p.endswith("/api/v1/stream")]
    assert len(stream_ends) == 3, page_check.problems
    page_check.problems = [p for p in page_check.problems if p not in stream_ends]
    page_check.assert_clean()
