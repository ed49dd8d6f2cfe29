"""/maps/dashboard in a real Chromium on the wall screen (1920×1080) and a laptop (1366×768).

The network is cut except for the service; every chart must be drawn (its canvas holds
painted pixels), and a figure clicked opens a drawer listing as many cases as the API says
the figure counts. The first contentful paint on the wall screen is written to
``test-artifacts/dashboard-first-paint.txt`` for a look; its timing as a ratio is the bench's
(``P12 paint`` in ``bench/indicators.py``). The page opens on a period with figures (the
sample's history ended long before today), and a ranking published through the API redraws
the open page's bars.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import SCREENSHOTS, PageCheck, screenshot_name

PERIOD = "2024"  # the sample's history: every chart has figures
CHARTS = ("wg-trend", "wg-categories", "wg-ranking")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

#: Painted pixels of a chart's canvas (alpha > 0): an empty canvas has none.
PAINTED = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas) { return -1; }
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { n += 1; } }
  return n;
}"""


@pytest.fixture
def screen(browser, live_server, session_cookie, privacy_scan, request) -> Iterator[PageCheck]:
    """The dashboard page at the size the test asks for (indirect parametrisation)."""
    width, height = request.param
    check = PageCheck(
        browser, live_server, session=session_cookie, viewport={"width": width, "height": height}
    )
    yield check
    if not check.page.is_closed():
        privacy_scan.text(f"page {check.page.url}", check.page.content())
    check.close(SCREENSHOTS / screenshot_name(request.node.name))


def _open(check: PageCheck) -> None:
    check.goto("/maps/dashboard", wait_until="load")
    check.page.wait_for_function("window.wanggeDashboardState?.ready === true", timeout=60_000)
    check.page.select_option("#wg-period", PERIOD)
    check.page.wait_for_function(
        f"(s => s.period === '{PERIOD}' && s.periodReady)(window.wanggeDashboardState)",
        timeout=90_000,
    )


def _drawer_count(check: PageCheck) -> int:
    check.page.wait_for_function(
        "document.getElementById('wg-drawer-count').dataset.count !== undefined", timeout=30_000
    )
    return int(check.page.get_attribute("#wg-drawer-count", "data-count") or "-1")


@pytest.mark.parametrize("screen", [(1920, 1080)], indirect=True)
def test_dashboard_on_the_wall_screen(screen, client, auth, sample_areas):
    check = screen
    _open(check)
    page = check.page
    first_paint = page.evaluate(
        "performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0]"
    )
    assert first_paint is not None and first_paint > 0
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "dashboard-first-paint.txt").write_text(f"{first_paint:.0f} ms\n")
    print(f"dashboard first contentful paint at 1920x1080: {first_paint:.0f} ms")

    for chart in CHARTS:
        assert page.evaluate(PAINTED, chart) > 2000, chart
    state = page.evaluate("window.wanggeDashboardState")
    assert state["mapFeatures"] == len(sample_areas["township"])
    assert state["trend"]["months"][0] == "2024-01"

    # a card: the red cards of 2024, each of its cases listed in the drawer
    answer = client.get(
        "/api/v1/indicators",
        params={"period": PERIOD, "names": "red_cards"},
        headers=auth("command"),
    ).json()
    expected = answer["indicators"][0]["numerator"]
    assert expected > 0
    page.click("#wg-headline .wg-card[data-key='red_cards']")
    assert _drawer_count(check) == expected
    links = page.eval_on_selector_all("#wg-drawer-list a", "as => as.map(a => a.href)")
    assert len(links) == expected
    assert all(re.search(r"/maps/command\?incident=DLT-\d{4}-\d{6}$", href) for href in links)
    page.click("#wg-drawer-close")

    # a township of the choropleth: its 满意率's numerator
    by_area = client.get(
        "/api/v1/indicators/by-area",
        params={"name": "satisfaction_rate", "period": PERIOD, "level": "township"},
        headers=auth("command"),
    ).json()
    numerators = {
        f["properties"]["code"]: f["properties"]["numerator"] for f in by_area["features"]
    }
    x, y, code = page.evaluate("window.wanggeDashboardState.screenPoint(0)")
    page.mouse.click(x, y)  # the map draws on a canvas: a click where the township lies
    assert _drawer_count(check) == numerators[code] > 0

    # Chinese only: the Latin words left are incident codes and the scale's unit
    page.click("#wg-drawer-close")
    words = set(re.findall(r"[A-Za-z]+", page.inner_text("body")))
    assert words <= {"DLT", "km", "m"}, words
    check.assert_clean()


@pytest.mark.parametrize("screen", [(1366, 768)], indirect=True)
def test_dashboard_on_a_laptop(screen):
    check = screen
    _open(check)
    page = check.page
    for chart in CHARTS:
        assert page.evaluate(PAINTED, chart) > 1000, chart
    overflow = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert overflow[0] <= overflow[1]
    boxes = page.evaluate(
        "[...document.querySelectorAll('.wg-panel-box, .wg-card')].map(e => {"
        " const r = e.getBoundingClientRect(); return [r.right, r.bottom]; })"
    )
    assert all(right <= 1366 and bottom <= 768 for right, bottom in boxes), boxes
    check.assert_clean()


@pytest.mark.parametrize("screen", [(1920, 1080)], indirect=True)
def test_a_new_case_refreshes_todays_figures(screen, live_server, admin_headers):
    import uuid

    import httpx

    check = screen
    check.goto("/maps/dashboard", wait_until="load")
    page = check.page
    page.wait_for_function("window.wanggeDashboardState?.ready === true", timeout=60_000)
    page.wait_for_selector("#wg-live.wg-on")  # the event stream is open
    before = int(page.inner_text("#wg-today .wg-card[data-key='new_today'] .wg-card-value"))
    response = httpx.post(
        f"{live_server}/api/v1/incidents",
        json={
            "lon": 110.0403,
            "lat": 40.4013,
            "datum": "cgcs2000",
            "category": "0101",
            "description": "浏览器实时测试：数据看板",
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **admin_headers},
    )
    assert response.status_code == 201, response.text
    page.wait_for_function("window.wanggeDashboardState.refreshes >= 1", timeout=15_000)
    card = "#wg-today .wg-card[data-key='new_today'] .wg-card-value"
    page.wait_for_function(
        f'Number(document.querySelector("{card}").textContent) === {before + 1}',
        timeout=15_000,
    )
    check.assert_clean()


def test_a_party_member_sees_the_dashboard_without_rankings(
    browser, live_server, database, accounts, privacy_scan
):
    from api import tokens

    from .conftest import _settings

    session = tokens.issue(_settings(database), accounts["party_member"].id, "session").token
    check = PageCheck(
        browser, live_server, session=session, viewport={"width": 1366, "height": 768}
    )
    try:
        check.goto("/maps/dashboard", wait_until="load")
        check.page.wait_for_function("window.wanggeDashboardState?.ready === true", timeout=60_000)
        assert check.page.inner_text("#wg-ranking-quarter") == "此账号无权查看排名"
        privacy_scan.text("party member's dashboard", check.page.content())
        check.assert_clean()  # nothing asked that the role is refused
    finally:
        check.close(SCREENSHOTS / "test_a_party_member_sees_the_dashboard_without_rankings.png")


def _rate(name: str) -> bool:
    from cases.indicators.registry import INDICATORS

    return INDICATORS[name].unit == "rate"


def _first_month_with_a_rate(client, auth, engine) -> tuple[str, dict]:
    """Where the page should open, worked out without it: this month (China time) when one of
    the headline rates has a value, else the last earlier month with a reported case (SQL)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import text

    from maps.dashboard import HEADLINE

    today = datetime.now(ZoneInfo("Asia/Shanghai"))
    this_month = f"{today:%Y-%m}"
    params = {"names": ",".join(HEADLINE)}
    answer = client.get(
        "/api/v1/indicators", params={**params, "period": this_month}, headers=auth("command")
    ).json()
    if any(i["value"] is not None for i in answer["indicators"] if _rate(i["name"])):
        return this_month, answer
    with engine.connect() as conn:
        before = conn.execute(
            text(
                "SELECT to_char(max(reported_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') "
                "FROM incident WHERE reported_at < CAST(:start AS timestamptz)"
            ),
            {"start": f"{this_month}-01T00:00:00+08:00"},
        ).scalar_one()
    answer = client.get(
        "/api/v1/indicators", params={**params, "period": before}, headers=auth("command")
    ).json()
    return before, answer


@pytest.mark.parametrize("screen", [(1920, 1080)], indirect=True)
def test_the_dashboard_opens_on_a_period_with_figures(screen, client, auth, engine):
    """No period picked: the first paint shows rates as numbers, not 样本不足 everywhere."""
    check = screen
    check.goto("/maps/dashboard", wait_until="load")
    page = check.page
    page.wait_for_function("window.wanggeDashboardState?.ready === true", timeout=60_000)
    expected_period, answer = _first_month_with_a_rate(client, auth, engine)
    assert page.evaluate("window.wanggeDashboardState.period") == expected_period
    assert page.input_value("#wg-period") == expected_period
    numbers = 0
    for item in answer["indicators"]:
        shown = page.inner_text(f"#wg-headline .wg-card[data-key='{item['name']}'] .wg-card-value")
        if not _rate(item["name"]):
            assert shown == str(round(item["value"])), item["name"]
        elif item["value"] is None:
            assert shown == "样本不足", item["name"]
        else:
            assert re.fullmatch(r"\d+\.\d%", shown), (item["name"], shown)
            assert abs(float(shown[:-1]) - 100 * item["value"]) <= 0.05 + 1e-9, item["name"]
            numbers += 1
    assert numbers >= 3  # 按期处置率, 满意率 and 两在三不出 have figures
    marked = page.evaluate(
        "performance.getEntriesByName('wg-first-figure').map(e => e.startTime)[0]"
    )
    assert marked is not None and marked > 0
    check.assert_clean()


@pytest.mark.parametrize("screen", [(1920, 1080)], indirect=True)
def test_a_published_ranking_redraws_the_bars(screen, client, auth):
    """Publishing is the command centre's act elsewhere (here the API): the open page hears the
    ``ranking`` event and redraws its bars as the frozen ranking, without a reload."""
    check = screen
    _open(check)  # 2024: the ranking of 2024-Q4, township
    page = check.page
    page.wait_for_selector("#wg-live.wg-on")  # the event stream is open
    color = "window.wanggeDashboardState.charts['wg-ranking'].getOption().series[0].itemStyle.color"
    state = page.evaluate("window.wanggeDashboardState.ranking")
    assert (state["quarter"], state["kind"], state["published"]) == ("2024-Q4", "township", False)
    assert page.inner_text("#wg-ranking-quarter") == "2024年第4季度（未发布，实时计算）"
    assert page.evaluate(color) == "#7f8fa6"
    page.evaluate("window.notReloaded = true")
    loads = page.evaluate("window.wanggeDashboardState.rankingLoads")

    published = client.post(
        "/api/v1/rankings/2024-Q4/publish", json={"kind": "township"}, headers=auth("command")
    )
    assert published.status_code == 201, published.text
    page.wait_for_function(
        f"(s => s.rankingLoads > {loads} && s.ranking.published)(window.wanggeDashboardState)",
        timeout=15_000,
    )
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("window.wanggeDashboardState.rankingEvents") == 1
    assert page.inner_text("#wg-ranking-quarter") == "2024年第4季度（已发布）"
    assert page.evaluate(color) == "#5fbfc9"
    frozen = [r for r in published.json()["rows"] if r["score"] is not None]
    bars = page.evaluate(
        "window.wanggeDashboardState.charts['wg-ranking'].getOption().series[0].data"
    )
    assert bars == [r["score"] for r in frozen][:15][::-1]
    assert len(bars) == 8
    check.assert_clean()
