"""我的网格 on a phone, the heat page and the Chinese of every page, in real headless Chromium.

Each page runs with every other host blocked and fails on a console error or an HTTP error
(``PageCheck.assert_clean``); screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from api import tokens
from geo.periods import china_today
from tests.browser import SCREENSHOTS, PageCheck, screenshot_name
from tests.conftest import _settings

PHONE = {"width": 390, "height": 844}
#: A member with open cases (all overdue in the sample history) in the demo township, whose
#: officer may file reports.
BUSY_GRID = "15062100103301"

#: Every visible button and list row, with its box and a name to report it by.
TARGETS_JS = """() => [...document.querySelectorAll(
    'button, a[role=button], .leaflet-bar a, li, input, textarea, select, summary')]
  .filter((e) => e.offsetParent !== null && !e.closest('.leaflet-map-pane'))
  .map((e) => { const r = e.getBoundingClientRect();
    return { what: e.tagName + '.' + e.className + ' ' + (e.innerText || '').slice(0, 20),
             w: r.width, h: r.height, left: r.left, right: r.right,
             button: e.tagName !== 'LI' }; })"""

#: Latin-script words a page may show: codes, units and names of things.
ALLOWED_LATIN = {
    "DLT",  # incident codes, DLT-2024-002590
    "km",
    "m",
    "Gi",  # the statistic Gi*, named and explained on the heat page
    "z",  # its z-score
}


@pytest.fixture(scope="module")
def session_of(database, accounts) -> Callable[[str], str]:
    """A page session (the sign-in page's cookie) of a demo account."""
    settings = _settings(database)
    return lambda username: tokens.issue(settings, accounts[username].id, "session").token


@pytest.fixture
def page_as(
    browser: Browser, live_server: str, session_of, privacy_scan, request
) -> Iterator[Callable[..., PageCheck]]:
    """``page_as("township")``: a PageCheck signed in as that demo account, on a phone."""
    opened: list[PageCheck] = []

    def open_as(username: str, viewport: dict[str, int] | None = None) -> PageCheck:
        check = PageCheck(browser, live_server, session=session_of(username))
        check.page.set_viewport_size(viewport or PHONE)
        opened.append(check)
        return check

    yield open_as
    for i, check in enumerate(opened):
        if not check.page.is_closed():
            privacy_scan.text(f"page {check.page.url}", check.page.content())
        name = screenshot_name(request.node.name + (f"-{i}" if i else ""))
        check.close(SCREENSHOTS / name)


def _member_of(engine, grid: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT min(m.id) FROM member m JOIN area a ON a.id = m.area_id "
                "WHERE m.kind = 'grid_worker' AND a.code = :grid AND a.generation_high IS NULL"
            ),
            {"grid": grid},
        ).scalar_one()


def _inside(engine, code: str) -> tuple[float, float]:
    """A point inside the live area ``code`` (lon, lat in CGCS2000)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :code AND generation_high IS NULL) q"
            ),
            {"code": code},
        ).one()


def _first_micro_grid(engine, grid: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT min(code) FROM area WHERE level = 'micro_grid' AND generation_high IS NULL "
                "AND code LIKE :grid || '%'"
            ),
            {"grid": grid},
        ).scalar_one()


def _too_small_or_outside(page: Page) -> list[dict[str, Any]]:
    width = page.evaluate("innerWidth")
    return [
        t
        for t in page.evaluate(TARGETS_JS)
        if t["h"] < 44
        or (t["button"] and t["w"] < 44)
        or t["left"] < -0.5
        or t["right"] > width + 0.5
    ]


def _latin_words(page: Page) -> set[str]:
    words = set(re.findall(r"[A-Za-z]+", page.evaluate("document.body.innerText")))
    return words - ALLOWED_LATIN


def _map(page: Page) -> str:
    """A JS expression for the page's Leaflet map."""
    return (
        "Object.keys(window).filter(k => k.startsWith('map_'))"
        ".map(k => window[k]).find(v => v instanceof L.Map)"
    )


def test_field_page_on_a_phone_has_44px_targets_and_fits(page_as, engine) -> None:
    member = _member_of(engine, BUSY_GRID)
    check = page_as("township")
    page = check.page
    check.goto(f"/maps/field?member={member}", wait_until="load")
    page.wait_for_function("() => wanggeFieldState.loaded && wanggeFieldState.microGridCount")
    with engine.connect() as conn:
        deadlines = conn.execute(
            text(
                # the current step's deadline where the loop set one, else the handling one
                "SELECT i.code, coalesce(i.step_due_at, i.deadline_at) < now() AS overdue "
                "FROM incident i "
                "WHERE i.member_id = :m AND i.status NOT IN ('closed', 'evaluated', 'void') "
                "ORDER BY coalesce(i.step_due_at, i.deadline_at), i.code"
            ),
            {"m": member},
        ).all()
        micro_grids = conn.execute(
            text(
                "SELECT count(*) FROM area WHERE level = 'micro_grid' AND generation_high IS NULL "
                "AND code LIKE :grid || '%'"
            ),
            {"grid": BUSY_GRID},
        ).scalar_one()
    # the cases by deadline, overdue first, each marked; the micro-grids and neighbours drawn
    assert page.evaluate("window.wanggeFieldState.cases") == [c.code for c in deadlines]
    assert len(deadlines) == 7 and all(c.overdue for c in deadlines)
    expect(page.locator(".wg-case-list li")).to_have_count(7)
    title = page.locator(".wg-case-list .wg-list-title")
    expect(title).to_have_text("未办结事件 7 件，已超期 7 件")
    expect(page.locator(".wg-case-list li").first).to_contain_text("已超期")
    assert page.evaluate("window.wanggeFieldState.microGridCount") == micro_grids
    assert page.evaluate("window.wanggeFieldState.microGrids.getLayers().length") == micro_grids
    assert page.evaluate("window.wanggeFieldState.neighbours.getLayers().length") > 0
    # times in China time: the first row's deadline as the database gives it at +08:00
    with engine.connect() as conn:
        first = conn.execute(
            text(
                "SELECT to_char(coalesce(step_due_at, deadline_at) AT TIME ZONE 'Asia/Shanghai', "
                "'YYYY-MM-DD HH24:MI') FROM incident WHERE code = :code"
            ),
            {"code": deadlines[0].code},
        ).scalar_one()
    expect(page.locator(".wg-case-list li").first).to_contain_text(f"时限 {first}")
    assert _too_small_or_outside(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert _latin_words(page) == set()
    # the report form, opened: its buttons and category rows too
    page.get_by_role("button", name="上报事件").click()
    expect(page.locator(".wg-cat-list li")).to_have_count(9)  # 8 categories and "另有 … 类"
    assert _too_small_or_outside(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert _latin_words(page) == set()
    page.get_by_role("button", name="取消", exact=True).click()
    # a row flies the map to its case, and the case's popup is in Chinese, in China time
    page.locator(".wg-case-list li").first.click()
    page.wait_for_function(f"() => {_map(page)}.getZoom() >= 16")
    page.evaluate(f"window.wanggeFieldState.markers.get('{deadlines[0].code}').openPopup()")
    expect(page.locator(".leaflet-popup-content")).to_contain_text("时限")
    assert _latin_words(page) == set()
    check.assert_clean()


def test_maps_index_navigation_fits_a_360px_phone(page_as) -> None:
    check = page_as("grid_worker", {"width": 360, "height": 740})
    page = check.page
    check.goto("/maps/", wait_until="load")
    logout = page.get_by_role("button", name="退出").bounding_box()
    assert logout is not None and logout["x"] + logout["width"] <= 360 and logout["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    nav = page.locator("nav.wangge-nav a, nav.wangge-nav button, nav.wangge-nav input")
    for i in range(nav.count()):
        box = nav.nth(i).bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 360, i
    assert _latin_words(page) == set()
    check.assert_clean()


def test_a_case_filed_through_the_api_appears_on_the_grid_workers_field_page(
    page_as, live_server, admin_headers, accounts, engine
) -> None:
    worker = accounts["grid_worker"]
    check = page_as("grid_worker")
    page = check.page
    check.goto("/maps/field", wait_until="load")  # the account's own member
    page.wait_for_function("() => window.wanggeFieldState.loaded")
    page.evaluate("window.notReloaded = true")
    before = page.evaluate("window.wanggeFieldState.cases")
    lon, lat = _inside(engine, _first_micro_grid(engine, worker.area_code))
    response = httpx.post(
        f"{live_server}/api/v1/incidents",
        json={"lon": lon, "lat": lat, "datum": "cgcs2000", "category": "0101", "description": "实"},
        headers={"Idempotency-Key": str(uuid.uuid4()), **admin_headers},
    )
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["responsible"]["member"]["id"] == worker.member_id
    page.wait_for_function(
        "(code) => window.wanggeFieldState.cases.includes(code)", arg=filed["code"], timeout=5000
    )
    assert page.evaluate("window.notReloaded") is True
    after = page.evaluate("window.wanggeFieldState.cases")
    assert sorted(after) == sorted([*before, filed["code"]])
    row = page.locator(f".wg-case-list li[data-code='{filed['code']}']")
    expect(row).to_have_class("wg-fresh")
    expect(row).to_contain_text("邻里纠纷")
    check.assert_clean()


def test_the_report_form_files_a_case_from_the_phones_position_and_shows_its_code(
    page_as, accounts, engine
) -> None:
    worker = accounts["grid_worker"]
    micro = _first_micro_grid(engine, worker.area_code)
    lon, lat = _inside(engine, micro)
    check = page_as("grid_worker")
    check.context.grant_permissions(["geolocation"])
    check.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 12})
    page = check.page
    check.goto("/maps/field", wait_until="load")
    page.wait_for_function("() => window.wanggeFieldState.loaded")
    page.get_by_role("button", name="上报事件").click()
    # nothing chosen: the form says what is missing, and sends nothing
    page.get_by_role("button", name="提交上报").click()
    expect(page.locator(".wg-report-message")).to_have_text("请填写事件类别、事件描述、事件位置")
    # the category from a search, a description, the phone's position
    page.locator("#wg-cat-search").fill("邻里")
    expect(page.locator(".wg-cat-list li")).to_have_count(1)
    page.locator(".wg-cat-list li").first.click()
    page.locator("#wg-description").fill("楼上楼下因漏水争吵，需要调解")
    page.get_by_role("button", name="用我的位置").click()
    expect(page.locator(".wg-point-text")).to_contain_text("我的位置，误差约12米")
    key = page.evaluate("window.wanggeFieldState.report.key")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    page.get_by_role("button", name="提交上报").click()
    code_shown = page.locator(".wg-filed-code")
    expect(code_shown).to_have_text(re.compile(r"^DLT-\d{4}-\d{6}$"))
    code = code_shown.inner_text()
    expect(page.locator(".wg-report-message")).to_contain_text(f"已上报，事件编号 {code}")
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT i.category_code, i.description, i.datum, i.idempotency_key, "
                "a.code AS micro FROM incident i JOIN area a ON a.id = i.micro_grid_id "
                "WHERE i.code = :code"
            ),
            {"code": code},
        ).one()
    assert (stored.category_code, stored.description) == ("0101", "楼上楼下因漏水争吵，需要调解")
    # stored under the account's own name for the key the page made
    assert (stored.datum, stored.idempotency_key, stored.micro) == (
        "wgs84",
        f"{worker.id}:{key}",
        micro,
    )
    # it is the worker's own case: the list has it (by the answer, and again by the stream)
    page.wait_for_function(
        "(code) => window.wanggeFieldState.cases.includes(code)", arg=code, timeout=5000
    )
    assert _latin_words(page) == set()
    # a second report is a new form with a new key; a tapped point is the map's CGCS2000
    page.get_by_role("button", name="完成").click()
    page.get_by_role("button", name="上报事件").click()
    assert page.evaluate("window.wanggeFieldState.report.key") != key
    page.get_by_role("button", name="在地图上点选").click()
    expect(page.locator(".wg-pick-banner")).to_be_visible()
    page.evaluate(
        f"([lat, lng]) => {_map(page)}.fire('click', {{latlng: L.latLng(lat, lng)}})", [lat, lon]
    )
    expect(page.locator(".wg-report")).to_be_visible()
    point = page.evaluate("window.wanggeFieldState.report.point")
    assert point == {"lon": lon, "lat": lat, "datum": "cgcs2000"}
    check.assert_clean()


def test_a_report_sent_offline_says_so_in_chinese_and_its_retry_files_it_once(
    page_as, accounts, engine
) -> None:
    worker = accounts["grid_worker"]
    lon, lat = _inside(engine, _first_micro_grid(engine, worker.area_code))
    check = page_as("grid_worker")
    check.context.grant_permissions(["geolocation"])
    check.context.set_geolocation({"longitude": lon, "latitude": lat})
    page = check.page
    check.goto("/maps/field", wait_until="load")
    page.wait_for_function("() => window.wanggeFieldState.loaded")
    page.get_by_role("button", name="上报事件").click()
    page.locator("#wg-cat-search").fill("0105")
    page.locator(".wg-cat-list li").first.click()
    page.locator("#wg-description").fill("物业停水三天")
    page.get_by_role("button", name="用我的位置").click()
    expect(page.locator(".wg-point-text")).to_contain_text("我的位置")
    key = page.evaluate("window.wanggeFieldState.report.key")
    check.context.set_offline(True)
    page.get_by_role("button", name="提交上报").click()
    expect(page.locator(".wg-report-message")).to_have_text(
        "无法连接服务，请检查网络后重试；恢复后可再次点击提交，不会重复上报"
    )
    assert _latin_words(page) == set()
    check.context.set_offline(False)
    page.get_by_role("button", name="提交上报").click()
    expect(page.locator(".wg-filed-code")).to_have_text(re.compile(r"^DLT-\d{4}-\d{6}$"))
    with engine.connect() as conn:
        filed = (
            conn.execute(
                text("SELECT code FROM incident WHERE idempotency_key = :key"),
                {"key": f"{worker.id}:{key}"},
            )
            .scalars()
            .all()
        )
    assert filed == [page.locator(".wg-filed-code").inner_text()]
    # the one request sent offline, as the browser reports it (failed, and in the console)
    assert len(check.problems) == 2, check.problems
    offline = "ERR_INTERNET_DISCONNECTED"
    assert all(offline in p and "/api/v1/incidents" in p for p in check.problems)


def test_api_errors_read_in_chinese(page_as) -> None:
    check = page_as("grid_worker")
    page = check.page
    check.goto("/maps/field", wait_until="load")
    texts = page.evaluate(
        """async () => {
          const r = await fetch('/api/v1/incidents', {method: 'POST',
            headers: {'Content-Type': 'application/json', 'Idempotency-Key': 'k-' + Date.now()},
            body: JSON.stringify({lon: 'east', lat: 40, datum: 'wgs84', category: '0101'})});
          const body = await r.json();
          return [r.status, wangge.errorText(body, r.status),
                  wangge.errorText({code: 'rate_limited', errors: []}),
                  wangge.errorText({code: 'invalid', errors: [{field: 'reporter.phone'}]}),
                  wangge.errorText({code: 'invalid', errors: [{field: 'media.0.url'}]}),
                  wangge.errorText(null, 503),
                  wangge.errorText({errors: [{field: 'description'}]}, 422, {description: '说明'}),
                  wangge.chinaTime('2026-12-04T16:44:15.533204+00:00')];
        }"""
    )
    assert texts == [
        422,
        "填写的内容有误：请检查经度",
        "操作过于频繁，请稍后再试",
        "填写的内容有误：请检查上报人电话",
        "填写的内容有误：请检查附件",
        "服务暂时不可用，请稍后重试",
        "填写的内容有误：请检查说明",
        "2026-12-05 00:44",
    ]
    # the one refused request asked for above, as the browser reports it
    assert len(check.problems) == 2, check.problems
    assert all("422" in p and "/api/v1/incidents" in p for p in check.problems)


def test_heat_page_explains_gi_star_offers_this_year_and_a_legend_per_layer(
    page_as, client, auth, engine
) -> None:
    with engine.connect() as conn:  # the sample's 2023-2024, and whatever tests filed today
        first, last = conn.execute(
            text(
                "SELECT min(to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY'))::int, "
                "max(to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY'))::int FROM incident"
            )
        ).one()
    assert first == 2023
    check = page_as("command", {"width": 1280, "height": 900})
    page = check.page
    check.goto("/maps/heat", wait_until="load")
    page.wait_for_function("() => window.wanggeHeatState.loaded", timeout=180_000)
    expect(page.locator(".wg-explain")).to_contain_text("它自身不一定有纠纷")
    year = china_today().year
    options = page.locator("select[name=period] option").all_inner_texts()
    assert options == [
        f"全部（2023—{last}年）",
        "近30天",
        f"今年（{year}年）",
        f"去年（{year - 1}年）",
        *[f"{y}年" for y in range(last, 2022, -1) if y not in (year, year - 1)],
        "自选时间段…",
    ]
    # the hot spots without a case of their own, counted independently from the API
    body = client.get(
        "/api/v1/heat/hotspots",
        params={"category": "01", "simplify": 30},
        headers=auth("command"),  # the page's viewer: Dalad's command centre
    ).json()
    hot = [f["properties"] for f in body["features"] if f["properties"]["class"].startswith("hot")]
    without = [p for p in hot if p["count"] == 0]
    assert page.evaluate("window.wanggeHeatState.hotWithoutCases") == len(without) > 0
    legend = page.locator(".wg-legend")
    expect(legend).to_contain_text(f"热点中 {len(without)} 个自身没有纠纷")
    expect(legend).to_contain_text(f"热点 99%置信（{body['classes']['热点 99%置信']}）")
    # a hot spot without cases says its neighbours made it hot
    tooltip = page.evaluate(
        "(code) => { let t; window.wanggeHeatState.layers.hotspots.eachLayer(l => {"
        " if (l.feature.properties.code === code) { t = l.getTooltip().getContent(); } });"
        " return t; }",
        without[0]["code"],
    )
    assert "本身没有纠纷，是相邻微网格纠纷多" in tooltip
    assert f"相邻微网格共 {without[0]['neighbour_count']} 件" in tooltip
    # every layer on: one legend section each; the townships drawn for orientation
    for name in ("数量分级（按微网格）", "密度（六边形格网）", "热力"):
        page.get_by_label(name).check()
    for title in (
        "热点与冷点（微网格个数）",
        "数量分级（每个微网格的件数）",
        "密度（每个2公里六边形的件数）",
        "热力（相对密度）",
    ):
        expect(legend).to_contain_text(title)
    assert page.evaluate("window.wanggeHeatState.townshipCount") == 8
    assert _latin_words(page) == set()
    # this year: a window from the data's calendar, asked of the API
    with page.expect_response(lambda r: "/heat/hotspots" in r.url) as answer:
        page.locator("select[name=period]").select_option(label=f"今年（{year}年）")
    assert f"from={year}-01-01T00%3A00%3A00%2B08%3A00" in answer.value.url
    page.wait_for_function("() => window.wanggeHeatState.loaded", timeout=180_000)
    # a chosen range of days, both ends included
    page.locator("select[name=period]").select_option(label="自选时间段…")
    page.locator("input[name=from]").fill("2024-03-01")
    page.locator("input[name=to]").fill("2024-03-31")
    with page.expect_response(lambda r: "/heat/hotspots" in r.url) as answer:
        page.get_by_role("button", name="查看").click()
    assert "from=2024-03-01T00%3A00%3A00%2B08%3A00&to=2024-04-01T00%3A00%3A00%2B08%3A00" in (
        answer.value.url
    )
    page.wait_for_function("() => window.wanggeHeatState.loaded", timeout=180_000)
    assert _latin_words(page) == set()
    check.assert_clean()


@pytest.mark.parametrize("path", ["/maps/", "/maps/command", "/maps/heat", "/maps/plan"])
def test_pages_speak_chinese_with_a_metric_scale(page_as, path) -> None:
    check = page_as("admin", {"width": 1280, "height": 800})
    page = check.page
    check.goto(path, wait_until="load")
    page.wait_for_timeout(1500)
    expect(page.locator(".leaflet-control-scale-line")).to_have_count(1)
    expect(page.locator(".leaflet-control-scale-line")).to_have_text(re.compile(r"^\d+ k?m$"))
    assert _latin_words(page) == set()
    check.assert_clean()
