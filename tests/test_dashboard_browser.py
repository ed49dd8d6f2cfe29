"""/maps/dashboard in a real Chromium on the wall screen (1920×1080) and a laptop (1366×768).

The network is cut except for the service; every chart must be drawn (its canvas holds
painted pixels), and a figure clicked opens a drawer listing as many cases as the API says
the figure counts. The first contentful paint on the wall screen is measured once and written
to ``test-artifacts/dashboard-first-paint.txt`` (the bench takes it from there).
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
