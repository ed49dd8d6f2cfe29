"""The coverage layer on the command map (1920×1080) and a grid worker recording a visit on a
phone (390×844) that then shows as the micro-grid's last contact, in real headless Chromium
with every other host blocked (0 console errors, 0 external requests). Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.helpers import contacts_removed

MAP = "Object.values(window).find(v => v instanceof L.Map)"
PHONE = {"width": 390, "height": 844}
UNCOVERED = "#d7191c"


@pytest.fixture
def contacts_after(engine) -> Iterator[None]:
    with contacts_removed(engine):
        yield


def test_the_coverage_layer_on_the_command_map(page_as, client, auth, engine) -> None:
    check = page_as("command", viewport={"width": 1920, "height": 1080})
    page = check.page
    check.goto("/maps/command", wait_until="load")
    page.wait_for_function("() => window.wanggeState && window.wanggeState.lastLoad")
    # zoom to an uncovered micro-grid: its outline is drawn thick and red
    with engine.connect() as conn:
        lat, lon = conn.execute(
            text(
                "SELECT ST_Y(ST_PointOnSurface(a.geom)), ST_X(ST_PointOnSurface(a.geom)) "
                "FROM area a WHERE a.level = 'micro_grid' AND a.generation_high IS NULL "
                "AND a.code LIKE '150621%' AND NOT EXISTS (SELECT 1 FROM house ho "
                "JOIN household h ON h.house_id = ho.id "
                "JOIN contact_household ch ON ch.household_id = h.id "
                "JOIN contact c ON c.id = ch.contact_id "
                "WHERE ho.micro_grid_id = a.id AND c.at > now() - interval '14 days') "
                "ORDER BY a.code LIMIT 1"
            )
        ).one()
    page.evaluate(f"([lat, lon]) => {MAP}.setView([lat, lon], 14, {{animate: false}})", [lat, lon])
    toggle = page.locator(".leaflet-control-layers-overlays label", has_text="走访覆盖").locator(
        "input"
    )
    toggle.click()
    page.wait_for_function(
        "() => window.wanggeState.coverage.totals && window.wanggeState.coverage.loaded > 0",
        timeout=180_000,  # the banner's roll-up and its tiles, on a shared machine
    )
    served = client.get("/api/v1/coverage", params={"level": "township"}, headers=auth("command"))
    uncovered = sum(a["uncovered"] for a in served.json()["areas"])
    assert uncovered > 0
    expect(page.locator(".wg-uncovered-count")).to_have_text(str(uncovered))
    expect(page.locator(".wg-coverage-legend")).to_contain_text("未覆盖：无成员或14天无联系")
    page.wait_for_function(
        f"() => document.querySelectorAll('path[stroke=\"{UNCOVERED}\"]').length > 0",
        timeout=120_000,
    )
    page.wait_for_load_state("networkidle", timeout=120_000)
    check.assert_clean()


def test_a_grid_worker_records_a_visit_that_shows_as_the_last_contact(
    page_as, accounts, engine, contacts_after
) -> None:
    worker = accounts["grid_worker"]
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
                "WHERE level = 'micro_grid' AND generation_high IS NULL "
                "AND left(code, length(:g)) = :g ORDER BY code LIMIT 1"
            ),
            {"g": worker.area_code},
        ).one()
    check = page_as("grid_worker", viewport=PHONE, has_touch=True, is_mobile=True)
    check.context.grant_permissions(["geolocation"])
    check.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 10})
    page = check.page
    check.goto("/maps/field", wait_until="load")
    opener = page.locator(".wg-visits-open")
    expect(opener).to_contain_text("我的片区 · 走访")
    opener.click()
    first = page.locator(".wg-visit-sheet li.wg-household").first
    expect(first).to_be_visible()
    code = first.get_attribute("data-code")
    micro_grid = first.locator("xpath=ancestor::section").get_attribute("data-code")
    first.get_by_role("button", name="入户走访").click()
    first.locator(".wg-visit-needs").fill("反映楼道照明损坏")
    first.get_by_role("button", name="记录").click()
    expect(page.locator(".wg-visit-message")).to_contain_text("已记录")
    recorded = page.evaluate("() => window.wanggeFieldState.visits.recorded")
    assert recorded["households"] == [code] and recorded["micro_grid"] == micro_grid
    assert recorded["lon"] is not None  # the phone's position went with it
    shown = page.evaluate("(iso) => window.wangge.chinaTime(iso)", recorded["at"])
    last = page.locator(f".wg-visit-sheet section.wg-mg[data-code='{micro_grid}'] .wg-mg-last")
    expect(last).to_have_text(shown)
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT c.channel, c.needs, h.code FROM contact c "
                "JOIN contact_household ch ON ch.contact_id = c.id "
                "JOIN household h ON h.id = ch.household_id WHERE c.id = :id"
            ),
            {"id": recorded["id"]},
        ).one()
    assert tuple(stored) == ("visit", "反映楼道照明损坏", code)
    check.assert_clean()


def test_a_grid_worker_records_a_visit_that_opens_a_case(page_as, engine, contacts_after) -> None:
    check = page_as("grid_worker", viewport=PHONE, has_touch=True, is_mobile=True)
    page = check.page
    check.goto("/maps/field", wait_until="load")
    page.locator(".wg-visits-open").tap()  # a touch screen
    first = page.locator(".wg-visit-sheet li.wg-household").first
    expect(first).to_be_visible()
    code = first.get_attribute("data-code")
    first.get_by_role("button", name="电话联系").click()
    first.locator(".wg-visit-needs").fill("反映邻居装修噪音")
    first.get_by_role("button", name="记录").click()  # a plain call first
    expect(page.locator(".wg-visit-message")).to_contain_text("已记录")
    # the next one opens a case
    first = page.locator(f".wg-visit-sheet li.wg-household[data-code='{code}']")
    first.get_by_role("button", name="电话联系").click()
    first.locator(".wg-visit-case").check()
    expect(first.locator(".wg-visit-case-fields")).to_be_visible()
    first.get_by_role("button", name="记录").click()
    expect(page.locator(".wg-visit-message")).to_have_text("请选择事件类别")
    first.locator(".wg-visit-category").select_option("0101")
    first.locator(".wg-visit-case-text").fill("邻里装修噪音纠纷，双方争执")
    first.get_by_role("button", name="记录").click()
    shown = page.locator(".wg-visit-message .wg-visit-case-code")
    expect(shown).to_have_text(re.compile(r"^DLT-\d{4}-\d{6}$"))
    recorded = page.evaluate("() => window.wanggeFieldState.visits.recorded")
    assert shown.inner_text() == recorded["case"]["code"]
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT c.incident_codes, h.code, i.category_code, i.source FROM contact c "
                "JOIN contact_household ch ON ch.contact_id = c.id "
                "JOIN household h ON h.id = ch.household_id "
                "JOIN incident i ON i.code = c.incident_codes ->> 0 WHERE c.id = :id"
            ),
            {"id": recorded["id"]},
        ).one()
    assert tuple(stored) == ([recorded["case"]["code"]], code, "0101", "visit")
    check.assert_clean()
