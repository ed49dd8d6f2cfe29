"""The village ledger page (in Chinese, printable as the public notice) and the 结对共建 layer
on the command map, in real headless Chromium with every other host blocked (0 console
errors, 0 external requests). Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.browser import PageCheck

VILLAGE = "150302101001"  # 团结新村
#: Codes a ledger shows (households TJ-001, vouchers WJ-2023-01, HK-20240424-005): not words.
CODES = re.compile(r"\b[A-Z]{2}-[0-9-]+\b")


def test_the_ledger_page_is_chinese_and_prints_as_the_notice(page_as) -> None:
    check = page_as("haibowan_township")
    page = check.page
    answer = check.goto(f"/maps/cobuild?village={VILLAGE}")
    assert answer is not None and answer.status == 200
    assert page.locator("h1").inner_text() == "团结新村结对共建资金公示"
    shown = page.locator("body").inner_text()
    assert "412,600.00" in shown and "武警内蒙古总队乌海支队" in shown
    assert "公示期：2026年12月1日至2026年12月7日" in shown
    assert re.search(r"[A-Za-z]", CODES.sub("", shown)) is None, CODES.sub("", shown)[:400]
    loans = page.locator(".wg-cobuild-loans tbody tr")
    assert loans.count() == 20
    assert page.locator(".wg-cobuild-loans .wg-overdue").count() == 2
    ledger_rows = page.locator(".wg-cobuild-ledger tbody tr")
    last = ledger_rows.nth(ledger_rows.count() - 1).locator("td").nth(5).inner_text()
    assert last == shown.split("资金结余\n")[1].split(" 元")[0]  # the last running balance
    assert page.locator(".wg-header").is_visible()
    assert page.locator(".wg-print").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".wg-header").is_visible()
    assert not page.locator(".wg-cobuild-actions").is_visible()
    assert page.locator(".wg-cobuild-ledger table").is_visible()
    assert page.pdf(format="A4", landscape=True)[:4] == b"%PDF"
    page.emulate_media(media="screen")
    check.assert_clean()


def test_a_ledger_outside_the_scope_is_not_found(client, auth) -> None:
    answer = client.get(f"/maps/cobuild?village={VILLAGE}", headers=auth("township"))
    assert answer.status_code == 404
    assert "找不到村（社区）150302101001" in answer.text


def _cobuild_layer(check: PageCheck) -> dict:
    page = check.page
    check.goto("/maps/command", wait_until="load")
    page.wait_for_function("() => window.wanggeState && window.wanggeState.layerControl")
    page.get_by_text("结对共建", exact=True).click()
    page.wait_for_function("() => window.wanggeState.cobuild.loaded")
    found: dict = page.evaluate(
        "() => ({codes: window.wanggeState.cobuild.codes,"
        " total: window.wanggeState.cobuild.total,"
        " drawn: window.wanggeState.cobuild.layer.getLayers().length,"
        " legend: document.querySelector('.wg-cobuild-totals').textContent})"
    )
    return found


def _expected(client, auth, username: str) -> tuple[list[str], str]:
    """The villages and the legend the account's layer should show, from the API."""
    features = client.get("/api/v1/pairings/map", headers=auth(username)).json()["features"]
    total = sum(Decimal(f["properties"]["received"]) for f in features)
    codes = [f["properties"]["village"]["code"] for f in features]
    return codes, f"结对村 {len(codes)} 个，累计到位 {total:,.2f} 元"


def test_the_paired_villages_on_the_command_map(page_as, client, auth) -> None:
    check = page_as("province", viewport={"width": 1280, "height": 900})
    page = check.page
    found = _cobuild_layer(check)
    codes, legend = _expected(client, auth, "province")
    assert VILLAGE in found["codes"]
    assert (found["codes"], found["drawn"], found["legend"]) == (codes, len(codes), legend)
    page.evaluate(
        "() => { const m = Object.values(window).find(v => v instanceof L.Map);"
        " m.fitBounds(window.wanggeState.cobuild.layer.getBounds()); }"
    )
    index = found["codes"].index(VILLAGE)
    page.evaluate(f"() => window.wanggeState.cobuild.layer.getLayers()[{index}].openTooltip()")
    tip = page.locator(".wg-cobuild-tip")
    tip.wait_for()
    assert "团结新村" in tip.inner_text()
    assert "结对单位：武警内蒙古总队乌海支队" in tip.inner_text()
    assert "结对年份：2023 年" in tip.inner_text()
    assert "累计到位：412,600.00 元" in tip.inner_text()
    check.assert_clean()


def test_a_dalad_account_sees_no_haibowan_village(page_as, client, auth) -> None:
    check = page_as("command")
    found = _cobuild_layer(check)
    assert not [c for c in found["codes"] if c.startswith("150302")]
    codes, legend = _expected(client, auth, "command")
    assert (found["codes"], found["legend"]) == (codes, legend)
    check.assert_clean()


def test_the_report_page_lists_the_villages_in_scope(client, auth) -> None:
    mine = client.get("/maps/cobuild", headers=auth("haibowan_township"))
    assert mine.status_code == 200
    assert '<a href="/maps/cobuild?village=150302101001">团结新村</a>' in mine.text
    assert "412,600.00" in mine.text and "武警内蒙古总队乌海支队" in mine.text
    other = client.get("/maps/cobuild", headers=auth("township"))
    assert "团结新村" not in other.text and "暂无" in other.text
