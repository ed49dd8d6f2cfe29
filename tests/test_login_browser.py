"""Signing in and out of the map pages in a real headless Chromium, network cut off.

The live server's app has its own sign-in rate limiter (10 a minute per user name and per
client); these tests sign in three times in all.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from access.accounts import DEMO_PASSWORD
from tests.browser import SCREENSHOTS, PageCheck, screenshot_name


@pytest.fixture
def signed_out(
    browser: Browser, live_server: str, request: pytest.FixtureRequest
) -> Iterator[PageCheck]:
    """A browser with no session cookie."""
    check = PageCheck(browser, live_server, session=None)
    yield check
    check.close(SCREENSHOTS / screenshot_name(request.node.name))


def _sign_in(check: PageCheck, password: str) -> None:
    page = check.page
    page.get_by_label("用户名").fill("command")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_sign_in_open_the_command_map_and_sign_out(signed_out: PageCheck) -> None:
    check = signed_out
    page = check.page
    check.goto("/maps/command")
    expect(page).to_have_url(check.url("/login?next=/maps/command"))
    expect(page).to_have_title("登录 · 网格")
    expect(page.get_by_role("heading")).to_have_text("网格化治理 · 登录")

    _sign_in(check, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确。")
    expect(page.get_by_label("用户名")).to_have_value("command")
    refused = check.url("/login")  # the form post answered 401, as the browser reports
    assert sorted(check.problems) == [
        f"HTTP 401: {refused}",
        "console error: Failed to load resource: the server responded with a status of 401 "
        f"(Unauthorized) ({refused})",
    ]
    check.problems.clear()

    _sign_in(check, DEMO_PASSWORD)
    page.wait_for_url(check.url("/maps/command"))
    expect(page).to_have_title("指挥中心地图 · 达拉特旗网格")
    page.wait_for_function("() => window.wanggeState && window.wanggeState.townshipCount === 8")
    expect(page.locator(".wg-header .wg-user")).to_have_text("旗指挥中心值班员")
    expect(page.locator(".wg-header .wg-role")).to_have_text("指挥中心")
    page.wait_for_load_state("networkidle")  # every tile in: one still loading would be refused
    check.assert_clean()

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(check.url("/login"))
    expect(page.get_by_role("heading")).to_have_text("网格化治理 · 登录")
    assert not [c for c in check.context.cookies() if c["name"] == "wangge_session"]
    # the page closed its event stream as 退出 was pressed: nothing was refused or failed
    aborted = "request failed (net::ERR_ABORTED)"
    assert [p for p in check.problems if not p.startswith(aborted)] == []
    check.problems.clear()
    check.goto("/maps/command")
    expect(page).to_have_url(check.url("/login?next=/maps/command"))
    check.assert_clean()


def test_an_expired_session_sends_the_page_to_sign_in(signed_out: PageCheck) -> None:
    check = signed_out
    page = check.page
    check.goto("/login?next=/maps/heat")
    _sign_in(check, DEMO_PASSWORD)
    page.wait_for_url(check.url("/maps/heat"))
    page.wait_for_function(
        "() => window.wanggeHeatState && window.wanggeHeatState.loaded", timeout=60000
    )
    check.assert_clean()
    check.context.clear_cookies()  # as when the session runs out
    page.select_option("select[name=period]", "1")  # the page fetches again: 401
    page.wait_for_url(check.url("/login?next=/maps/heat"), timeout=30000)
    expect(page.get_by_role("heading")).to_have_text("网格化治理 · 登录")
    # the refused fetches (and any the navigation cut short), nothing else
    assert any(p.startswith("HTTP 401: ") for p in check.problems)
    assert all("/api/v1/heat/" in p for p in check.problems), check.problems
