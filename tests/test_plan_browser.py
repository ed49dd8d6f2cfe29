"""/maps/plan in real headless Chromium: select a micro-grid, draw a split, see the impact,
publish. It publishes a new generation, so it runs on its own scratch database and server."""

from __future__ import annotations

import httpx
import pytest
import shapely
from playwright.sync_api import expect
from sqlalchemy import create_engine

from access.accounts import ensure_demo_accounts, find_account
from api import tokens
from api.app import create_app
from geo.settings import Settings
from tests.browser import SCREENSHOTS, PageCheck, screenshot_name
from tests.helpers import scratch_database, serving

MAP_JS = (
    "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])"
    ".find(v => v instanceof L.Map)"
)


@pytest.fixture(scope="module")
def plan_server(engine):
    """The service on a scratch database, with the (banner) planner's access token and page
    session: ``(base URL, headers, session)``."""
    with scratch_database(engine, "wangge_plan_ui") as url:
        settings = Settings(database_url=url, load_sample_data=False)
        scratch = create_engine(url)
        with scratch.begin() as conn:
            ensure_demo_accounts(conn)
            planner = find_account(conn, username="planner")
        scratch.dispose()
        assert planner is not None
        access = tokens.issue(settings, planner.id, "access").token
        session = tokens.issue(settings, planner.id, "session").token
        with serving(create_app(settings)) as base:
            yield base, {"Authorization": f"Bearer {access}"}, session


def test_draw_a_split_see_the_impact_and_publish(browser, plan_server, sample_areas, request):
    base, headers, session = plan_server
    micro = sample_areas["micro_grid"].set_index("code").sort_index()
    code = micro.index[2000]
    target = micro.geometry[code]
    with httpx.Client(base_url=base, headers=headers) as http:
        plan = http.post("/api/v1/plans", json={"scope_code": code[:14]}).json()
        areas = http.get(f"/api/v1/plans/{plan['id']}/areas").json()["features"]
    ref = next(f["id"] for f in areas if f["properties"].get("source_code") == code)
    check = PageCheck(browser, base, session=session)
    try:
        check.goto(f"/maps/plan?plan={plan['id']}", wait_until="load")
        page = check.page
        expect(page).to_have_title("网格调整 · 达拉特旗网格")
        expect(page.locator(".wg-header")).to_contain_text("旗网格规划员")
        expect(page.locator(".wg-header")).to_contain_text("网格规划员")
        expect(page.get_by_role("button", name="退出")).to_be_visible()
        page.wait_for_function("() => window.wanggePlanState.impact !== null", timeout=20000)
        expect(page.locator(".wg-problems")).to_contain_text("拓扑检查：通过")
        page.evaluate(
            "(ref) => window.wanggePlanState.layers.draft.eachLayer("
            "l => { if (l.feature.id === ref) { l.fire('click'); } })",
            ref,
        )
        expect(page.locator(".wg-selected")).to_contain_text(ref)
        # a cut between two opposite corners, run on a little past them as a planner draws it
        corners = shapely.get_coordinates(
            shapely.get_exterior_ring(shapely.get_geometry(target, 0))
        )
        a, b = corners[0], corners[(len(corners) - 1) // 2]
        line = [[float(y), float(x)] for x, y in (a + (a - b) * 0.2, a, b, b + (b - a) * 0.2)]
        page.evaluate(
            f"(line) => {{ const m = {MAP_JS}; m.fire(L.Draw.Event.CREATED, "
            "{layer: L.polyline(line), layerType: 'polyline'}); }",
            line,
        )
        page.wait_for_function(
            "() => (window.wanggePlanState.lastSplit || []).length === 2",
            timeout=20000,
        )
        page.wait_for_function("() => window.wanggePlanState.problems === 0", timeout=20000)
        expect(page.locator(".wg-problems")).to_contain_text("拓扑检查：通过")
        expect(page.locator(".wg-impact")).to_contain_text("变动区域 ")
        page.get_by_role("button", name="发布为新版本").click()
        page.wait_for_function(
            "() => window.wanggePlanState.published !== null "
            "|| window.wanggePlanState.message.startsWith('发布失败')",
            timeout=30000,
        )
        assert page.evaluate("() => window.wanggePlanState.message").startswith("已发布")
        published = page.evaluate("() => window.wanggePlanState.published")
        expect(page.locator(".wg-msg")).to_contain_text(f"已发布为第 {published['generation']} 版")
        check.assert_clean()
    finally:
        check.close(SCREENSHOTS / screenshot_name(request.node.name))
    with httpx.Client(base_url=base, headers=headers) as http:
        assert http.get("/api/v1/health").json()["generation"] == published["generation"]
        pieces = http.get(
            "/api/v1/areas", params={"parent": code[:14], "level": "micro_grid", "limit": 1000}
        ).json()["features"]
    assert code not in {f["id"] for f in pieces}  # the split micro-grid retired
    assert len(pieces) == int((micro.index.str[:14] == code[:14]).sum()) + 1
    assert code in published["retired"]
