"""/maps/plan in real headless Chromium at 1920×1080, as a planner uses it: open 网格调整 from
/maps/, start a draft by picking a village by name, move micro-grids from one grid to its
neighbour with clicks, watch the workload change, publish with a date after confirming, and
see the new outline on the command map; or cut a micro-grid with a line drawn near two of its
corners, snapped onto them. The tests make no API call themselves: they click and type, and
read the database to check what the page did. Every state of the page is scanned for Latin
words (none but codes and units) and saved as a screenshot under the test's tmp dir.

Publishing makes a new generation, so the module runs on its own scratch database and server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, create_engine, text

from access.accounts import ensure_demo_accounts, find_account
from api import tokens
from api.app import create_app
from geo.settings import Settings
from tests.browser import SCREENSHOTS, PageCheck, screenshot_name
from tests.helpers import scratch_database, serving

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"

FULL_HD = {"width": 1920, "height": 1080}
MAP_JS = (
    "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])"
    ".find(v => v instanceof L.Map)"
)
STATE = "window.wanggePlanState"
#: A point's place on the screen: the map's container point plus the container's offset.
SCREEN_JS = (
    f"([lat, lon]) => {{ const m = {MAP_JS}; const p = m.latLngToContainerPoint([lat, lon]);"
    " const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }"
)


@pytest.fixture(scope="module")
def plan_server(engine: Engine) -> Iterator[tuple[str, str, Engine]]:
    """The service on a scratch database: ``(base URL, the planner's page session, engine)``."""
    with scratch_database(engine, "wangge_plan_ui") as url:
        settings = Settings(database_url=url, load_sample_data=False)
        scratch = create_engine(url)
        with scratch.begin() as conn:
            ensure_demo_accounts(conn)
            planner = find_account(conn, username="planner")
        assert planner is not None
        session = tokens.issue(settings, planner.id, "session").token
        try:
            with serving(create_app(settings)) as base:
                yield base, session, scratch
        finally:
            scratch.dispose()


def neighbours(areas: dict[str, gpd.GeoDataFrame], skip: int = 0) -> dict[str, Any]:
    """A village with a grid A of at least six micro-grids, three of which border its
    neighbour B, in the ``skip``-th such village in code order (so that tests publishing in
    one village leave the next alone): their codes and names."""
    grids = areas["grid"].set_index("code").sort_index()
    micro = areas["micro_grid"].set_index("code").sort_index()
    villages = areas["village"].set_index("code")
    seen: list[str] = []  # villages with such a pair, in code order
    for a in grids.index:
        inside = micro[micro.index.str[:14] == a]
        if len(inside) < 6 or a[:12] in seen:
            continue
        for b in grids.index[grids.index.str[:12] == a[:12]]:
            border = shapely.intersection(inside.geometry.values, grids.geometry[b])
            touching = [c for c, g in zip(inside.index, border, strict=True) if g.length > 1e-4]
            if b == a or len(touching) < 3:
                continue
            if len(seen) == skip:
                return {
                    "village": a[:12],
                    "village_name": villages.name[a[:12]],
                    "a": a,
                    "b": b,
                    "a_name": grids.name[a],
                    "b_name": grids.name[b],
                    "moved": touching[:3],
                    "points": [micro.geometry[c].representative_point() for c in touching[:3]],
                }
            seen.append(a[:12])
            break
    raise AssertionError("no village with two such grids in the sample")


def inner(areas: dict[str, gpd.GeoDataFrame], village: str) -> str:
    """The first micro-grid of ``village`` in code order that touches no edge of its grid (a
    cut through it leaves problems between micro-grids only)."""
    grids = areas["grid"].set_index("code").geometry
    micro = areas["micro_grid"].set_index("code").sort_index().geometry
    for code, geometry in micro[micro.index.str[:12] == village].items():
        if geometry.boundary.intersection(grids[code[:14]].boundary).length == 0:
            return str(code)
    raise AssertionError(f"every micro-grid of {village} touches its grid's edge")


def click_at(page: Page, point: shapely.Point, shift: bool = False) -> None:
    """A real mouse click on the map where ``point`` (lon/lat) is."""
    x, y = page.evaluate(SCREEN_JS, [point.y, point.x])
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(x, y)
    if shift:
        page.keyboard.up("Shift")


def frame(page: Page, geometry: Any, padding: int = 150) -> None:
    """Zoom the map onto ``geometry`` as a planner would before clicking in it."""
    west, south, east, north = geometry.bounds
    page.evaluate(
        f"([b, p]) => {{ const m = {MAP_JS}; "
        "m.fitBounds(b, {padding: [p, p], animate: false}); }",
        [[[south, west], [north, east]], padding],
    )


def settled(page: Page, loads: int) -> None:
    """Wait until the draft has been loaded ``loads`` times and every panel has its answer."""
    page.wait_for_function(
        f"() => {STATE} && {STATE}.loads >= {loads} && {STATE}.problems !== null"
        f" && {STATE}.impact !== null"
        f" && {STATE}.workload !== null && !{STATE}.busy",
        timeout=60_000,
    )


def start_draft(check: PageCheck, place: dict[str, Any], shots: Any) -> None:
    """From /maps/: 网格调整, the village picked by name, a new draft opened."""
    page = check.page
    check.goto("/maps/", wait_until="load")
    page.get_by_role("link", name="网格调整").click()
    expect(page).to_have_title("网格调整 · 达拉特旗网格")
    expect(page.locator(".wg-drafts, .wg-drafts .wg-hint").first).to_be_visible()
    page.wait_for_function(f"() => {STATE} && {STATE}.places.length > 600", timeout=30_000)
    check.assert_chinese(shots / "1-drafts.png")
    page.get_by_placeholder("输入名称查找").fill(place["village_name"])
    option = page.locator(f".wg-pick-list li[data-code='{place['village']}']")
    expect(option).to_contain_text(place["village_name"])
    expect(option).to_contain_text("嘎查村")
    option.click()
    expect(page.locator(".wg-picked")).to_contain_text(place["village_name"])
    check.assert_chinese(shots / "2-picked.png")
    page.get_by_role("button", name="新建草案").click()
    page.wait_for_url("**/maps/plan?plan=*")
    settled(page, 1)
    expect(page.locator(".wg-plan-head")).to_contain_text(place["village_name"])
    bounds = page.evaluate(f"() => {MAP_JS}.getBounds().toBBoxString()")
    west, _, east, _ = (float(v) for v in bounds.split(","))
    assert west < east and east - west < 0.5, bounds  # framed on the village, not the banner
    check.assert_chinese(shots / "3-draft.png")


@pytest.fixture(scope="module")
def homes() -> gpd.GeoSeries:
    """One point per household of the committed sample: where its house stands."""
    houses = pd.read_csv(SAMPLE / "houses.csv.gz", usecols=["code", "lon", "lat"])
    households = pd.read_csv(SAMPLE / "households.csv.gz", usecols=["house_code"])
    placed = households.merge(houses, left_on="house_code", right_on="code")
    return gpd.GeoSeries(gpd.points_from_xy(placed.lon, placed.lat))


def households(homes: gpd.GeoSeries, area: Any) -> int:
    """Households at home inside ``area`` (shapely placement of the sample, not the API's)."""
    return int(homes.within(area).sum())


def test_move_three_micro_grids_watch_the_workload_and_publish(
    browser, plan_server, sample_areas, homes, request, tmp_path
):
    base, session, scratch = plan_server
    place = neighbours(sample_areas)
    grids = sample_areas["grid"].set_index("code").geometry
    micro = sample_areas["micro_grid"].set_index("code").geometry
    before_a, before_b = households(homes, grids[place["a"]]), households(homes, grids[place["b"]])
    moving = sum(households(homes, micro[c]) for c in place["moved"])
    assert moving > 0
    check = PageCheck(browser, base, session=session, viewport=FULL_HD)
    page = check.page
    try:
        start_draft(check, place, tmp_path)
        row_a = page.locator(f".wg-workload-table tr[data-ref='{place['a']}']")
        row_b = page.locator(f".wg-workload-table tr[data-ref='{place['b']}']")
        expect(row_a).to_contain_text(place["a_name"])
        expect(row_a.locator("td").nth(2)).to_have_text(str(before_a))
        expect(row_b.locator("td").nth(2)).to_have_text(str(before_b))
        expect(page.locator(".wg-problems")).to_contain_text("拓扑检查：通过")
        expect(page.get_by_role("button", name="发布为新版本…")).to_be_disabled()
        expect(page.locator(".wg-publish .wg-why")).to_have_text("草案还没有任何改动")

        frame(page, shapely.union_all([p.buffer(0.002) for p in place["points"]]))
        click_at(page, place["points"][0])
        for point in place["points"][1:]:
            click_at(page, point, shift=True)
        expect(page.locator(".wg-selection")).to_contain_text("已选 3 个微网格")
        check.assert_chinese(tmp_path / "4-selected.png")
        page.get_by_label("移到网格…").select_option(label=place["b_name"])
        loads = page.evaluate(f"() => {STATE}.loads")
        page.get_by_role("button", name="移动", exact=True).click()
        settled(page, loads + 1)
        expect(page.locator(".wg-msg.wg-main")).to_contain_text(
            f"已将 3 个微网格移到{place['b_name']}"
        )
        moved = page.evaluate(f"() => {STATE}.lastMove.moved")
        assert len(moved) == 3
        with scratch.connect() as conn:
            parents = conn.execute(
                text("SELECT DISTINCT parent_ref FROM plan_area WHERE ref = ANY(:r)"),
                {"r": moved},
            ).scalars()
            assert list(parents) == [place["b"]]
        # the workload panel: A lost the moved micro-grids' households, B gained them
        expect(row_a.locator("td").nth(2)).to_have_text(f"{before_a} → {before_a - moving}")
        expect(row_b.locator("td").nth(2)).to_have_text(f"{before_b} → {before_b + moving}")
        expect(page.locator(".wg-problems")).to_contain_text("拓扑检查：通过")
        expect(page.locator(".wg-impact")).to_contain_text("变动区域")
        check.assert_chinese(tmp_path / "5-moved.png")

        publish = page.get_by_role("button", name="发布为新版本…")
        expect(publish).to_be_enabled()
        publish.click()
        dialog = page.get_by_role("dialog", name="确认发布")
        expect(dialog).to_be_visible()
        today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()
        expect(dialog.get_by_label("生效日期（北京时间）")).to_have_value(today)
        check.assert_chinese(tmp_path / "6-confirm.png")
        dialog.get_by_role("button", name="确认发布").click()
        page.wait_for_function(f"() => {STATE}.published !== null", timeout=60_000)
        report = page.evaluate(f"() => {STATE}.published")
        expect(page.locator(".wg-published")).to_contain_text(
            f"已发布为第 {report['generation']} 版，立即生效"
        )
        check.assert_chinese(tmp_path / "7-published.png")

        # the command map now places the moved micro-grids in grid B
        page.get_by_role("link", name="到指挥中心地图查看新网格").click()
        page.wait_for_url("**/maps/command")
        page.wait_for_function("() => window.wanggeState && window.wanggeState.townshipCount > 0")
        frame(page, place["points"][1].buffer(0.003), padding=0)
        click_at(page, place["points"][1])
        popup = page.locator(".leaflet-popup .wg-area")
        expect(popup.locator(".wg-chain")).to_contain_text(place["b_name"])
        check.assert_clean()
    finally:
        check.close(SCREENSHOTS / screenshot_name(request.node.name))
    with scratch.connect() as conn:
        live = conn.execute(
            text(
                "SELECT a.name, ST_AsBinary(a.geom) FROM area a JOIN generation g "
                "ON g.id = :g WHERE a.level = 'grid' AND a.generation_low <= g.id "
                "AND (a.generation_high IS NULL OR a.generation_high >= g.id) "
                "AND a.name IN (:a, :b)"
            ),
            {"g": report["generation"], "a": place["a_name"], "b": place["b_name"]},
        ).all()
    outlines = {name: shapely.from_wkb(bytes(wkb)) for name, wkb in live}
    for point in place["points"]:
        assert outlines[place["b_name"]].contains(point)
        assert not outlines[place["a_name"]].contains(point)


def test_a_cut_near_two_corners_snaps_onto_them_and_publishes(
    browser, plan_server, sample_areas, request, tmp_path
):
    base, session, scratch = plan_server
    place = neighbours(sample_areas, skip=1)
    micro = sample_areas["micro_grid"].set_index("code")
    code = place["moved"][0]
    target = shapely.get_geometry(micro.geometry[code], 0)
    corners = shapely.get_coordinates(shapely.get_exterior_ring(target))[:-1]
    a, b = corners[0], corners[len(corners) // 2]
    # 2 m off each corner (inside the 5 m snap), the line run on a little past them
    off = 2.0 / 111_000
    near_a, near_b = a + np.array([off, off * 0.5]), b - np.array([off * 0.5, off])
    line = [near_a + (near_a - near_b) * 0.25, near_a, near_b, near_b + (near_b - near_a) * 0.25]
    check = PageCheck(browser, base, session=session, viewport=FULL_HD)
    page = check.page
    try:
        start_draft(check, place, tmp_path)
        frame(page, target, padding=250)
        click_at(page, target.representative_point())
        expect(page.locator(".wg-selection")).to_contain_text("已选 1 个微网格")
        page.locator(".leaflet-draw-draw-polyline").click()
        check.assert_chinese(tmp_path / "4-drawing.png")
        for x, y in line:
            click_at(page, shapely.Point(x, y))
            page.wait_for_timeout(300)
        loads = page.evaluate(f"() => {STATE}.loads")
        page.get_by_role("link", name="完成", exact=True).click()
        settled(page, loads + 1)
        assert page.evaluate(f"() => ({STATE}.lastSplit || []).length") == 2
        expect(page.locator(".wg-problems")).to_contain_text("拓扑检查：通过")
        check.assert_chinese(tmp_path / "5-cut.png")
        page.get_by_role("button", name="发布为新版本…").click()
        page.get_by_role("dialog", name="确认发布").get_by_role("button", name="确认发布").click()
        page.wait_for_function(f"() => {STATE}.published !== null", timeout=60_000)
        report = page.evaluate(f"() => {STATE}.published")
        check.assert_chinese(tmp_path / "6-published.png")
        check.assert_clean()
    finally:
        check.close(SCREENSHOTS / screenshot_name(request.node.name))
    assert code in report["retired"]
    with scratch.connect() as conn:
        pieces = conn.execute(
            text(
                "SELECT ST_AsBinary(geom) FROM area WHERE generation_low = :g "
                "AND level = 'micro_grid' AND ST_Intersects(geom, ST_GeomFromWKB(:t, 4490)) "
                "AND ST_Area(ST_Intersection(geom, ST_GeomFromWKB(:t, 4490))) > 1e-12"
            ),
            {"g": report["generation"], "t": shapely.to_wkb(target)},
        ).scalars()
        shapes = [shapely.from_wkb(bytes(w)) for w in pieces]
    assert len(shapes) == 2
    # the cut runs from corner a to corner b exactly: both pieces carry both corners
    for piece in shapes:
        vertices = {tuple(v) for v in shapely.get_coordinates(piece).round(7)}
        assert tuple(a.round(7)) in vertices and tuple(b.round(7)) in vertices


def test_lasso_balance_and_problems(browser, plan_server, sample_areas, request, tmp_path):
    base, session, scratch = plan_server
    place = neighbours(sample_areas, skip=2)
    micro = sample_areas["micro_grid"].set_index("code").sort_index()
    grid_a = sample_areas["grid"].set_index("code").geometry[place["a"]]
    # the lasso: a rectangle around grid A; it selects the micro-grids whose centre is inside
    west, south, east, north = grid_a.bounds
    pad_x, pad_y = (east - west) * 0.05, (north - south) * 0.05
    box = shapely.box(west + pad_x, south + pad_y, east - pad_x, north - pad_y)
    village = micro[micro.index.str[:12] == place["village"]]
    check = PageCheck(browser, base, session=session, viewport=FULL_HD)
    page = check.page
    try:
        start_draft(check, place, tmp_path)
        frame(page, grid_a, padding=100)
        page.locator(".leaflet-draw-draw-rectangle").click()
        (x0, y0), (x1, y1) = (
            page.evaluate(SCREEN_JS, [lat, lon])
            for lon, lat in ((west + pad_x, north - pad_y), (east - pad_x, south + pad_y))
        )
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x1, y1, steps=8)
        page.wait_for_timeout(200)
        page.mouse.up()
        drawn = shapely.Polygon(page.evaluate(f"() => {STATE}.lasso"))
        # as dragged (a busy browser may drop the last mouse moves of the drag)
        assert drawn.intersection(box).area > box.area * 0.5
        lassoed = sorted(c for c, g in village.geometry.items() if drawn.contains(g.centroid))
        assert len(lassoed) > 3
        expect(page.locator(".wg-selection")).to_contain_text(f"已选 {len(lassoed)} 个微网格")
        assert sorted(page.evaluate(f"() => [...{STATE}.selected]")) == lassoed
        check.assert_chinese(tmp_path / "4-lasso.png")
        page.get_by_role("button", name="清除选择").click()

        # the balance suggestion between A and B, shown, then applied
        page.get_by_label("网格（在嘎查村之间移动）").check()
        page.get_by_label(f"选中{place['a_name']}").check()
        page.get_by_label(f"选中{place['b_name']}").check()
        page.get_by_role("button", name="建议均衡划分").click()
        proposal = page.locator(".wg-proposal")
        expect(proposal).to_contain_text("均衡建议")
        moves = page.evaluate(f"() => {STATE}.proposal.balance.moves")
        assert moves, "the sample's neighbours differ in load"
        expect(proposal.locator("input[name=move]")).to_have_count(len(moves))
        check.assert_chinese(tmp_path / "5-balance.png")
        loads = page.evaluate(f"() => {STATE}.loads")
        proposal.get_by_role("button", name="采用所勾选的调整").click()
        settled(page, loads + 1)
        with scratch.connect() as conn:
            plan = int(page.url.rsplit("=", 1)[1])
            parents = dict(
                conn.execute(
                    text(
                        "SELECT ref, parent_ref FROM plan_area WHERE plan_id = :p AND ref = ANY(:r)"
                    ),
                    {"p": plan, "r": [m["ref"] for m in moves]},
                ).all()
            )
        assert parents == {m["ref"]: m["to"] for m in moves}

        # a cut without snapping leaves problems: listed in Chinese, located, publication held
        page.get_by_label("微网格", exact=True).check()
        target = shapely.get_geometry(micro.geometry[inner(sample_areas, place["village"])], 0)
        ring = shapely.get_coordinates(shapely.get_exterior_ring(target))
        half = (len(ring) - 1) // 2
        m1, m2 = (ring[0] + ring[1]) / 2, (ring[half] + ring[half + 1]) / 2
        frame(page, target, padding=250)
        click_at(page, target.representative_point())
        page.locator("input[name=snap]").fill("0")
        page.locator(".leaflet-draw-draw-polyline").click()
        for x, y in (m1 + (m1 - m2) * 0.2, m2 + (m2 - m1) * 0.2):
            click_at(page, shapely.Point(x, y))
            page.wait_for_timeout(300)  # a person's pace: leaflet-draw drops a hasty vertex
        loads = page.evaluate(f"() => {STATE}.loads")
        page.get_by_role("link", name="完成", exact=True).click()
        settled(page, loads + 1)
        problems = page.evaluate(f"() => {STATE}.problems.length")
        assert problems > 0
        expect(page.locator(".wg-problem-list li")).to_have_count(problems)
        expect(page.locator(".wg-publish .wg-why")).to_have_text(f"还有 {problems} 个拓扑问题")
        expect(page.get_by_role("button", name="发布为新版本…")).to_be_disabled()
        check.assert_chinese(tmp_path / "6-problems.png")
        page.locator(".wg-problem-list a").first.click()
        first = shapely.geometry.shape(page.evaluate(f"() => {STATE}.problems[0].geometry"))
        west, south, east, north = (
            float(v) for v in page.evaluate(f"() => {MAP_JS}.getBounds().toBBoxString()").split(",")
        )
        assert shapely.box(west, south, east, north).contains(first)  # zoomed onto it
        assert east - west < (target.bounds[2] - target.bounds[0]) * 10
        check.assert_clean()
    finally:
        check.close(SCREENSHOTS / screenshot_name(request.node.name))
