"""The closed loop in real browsers (issue #13 §5): the grid worker's phone and the command
centre's case panel.

(a) A grid worker on a phone (390×844, touch) accepts a new case and handles it on the spot
with a photo from the camera (自行处置, which closes it), while the command page, open in
another browser context at 1920×1080, follows without reloading: the marker takes the closed
colour and the open case panel shows the new status, trail and photo. (b) The command seat
accepts, files and dispatches a case from its panel to the department the routing matrix
suggests. (c) The 时限督办 filter shows exactly the cases the list API answers for
``due=overdue`` (and its counts are the API's). (d) A stale version (412) and a refusal (409)
read in Chinese, the panel showing the case as it now is.

Expected figures come from SQL and the API, not from the page. Every page runs against the
live service with the network cut off (``tests/browser.py``): no request to another host, no
console error. Screenshots of each step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import text

from api import tokens
from cases.models import CLOSED_STATUSES, IncidentStatus
from maps.pages import STATUS_COLOURS
from tests.browser import SCREENSHOTS, PageCheck
from tests.conftest import _settings

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1920, "height": 1080}
GPS_IFD = 0x8825
MAP = "Object.values(window).find(v => v instanceof L.Map)"
OPEN = ",".join(s.value for s in IncidentStatus if s not in CLOSED_STATUSES)
#: The panel's time left: 剩余 2 小时 15 分, 剩余 3 天 4 小时, 剩余 40 分.
TIME_LEFT = re.compile(r"^剩余 (\d+ 天( \d+ 小时)?|\d+ 小时( \d+ 分)?|\d+ 分)$")


def camera_photo() -> bytes:
    """A small JPEG as a phone camera writes it, with the position in its EXIF."""
    image = Image.new("RGB", (320, 240), (90, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "WanggePhone"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 20.0, 30.0), 3: "E", 4: (110.0, 2.0, 3.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def rgb(hex_colour: str) -> str:
    """'#969696' as a computed style says it: 'rgb(150, 150, 150)'."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"test_loop_browser-{name}.png")


def marker_colour(page: Page, code: str) -> str | None:
    """The fill of the case's marker as drawn (its dot's computed background)."""
    return page.evaluate(
        "(code) => { const m = window.wanggeState.incidents.get(code); "
        "const dot = m && m._icon && m._icon.querySelector('i'); "
        "return dot ? getComputedStyle(dot).backgroundColor : null; }",
        code,
    )


def listed(live_server: str, headers: dict[str, str], **query: str) -> list[str]:
    """Every code the list API answers for ``query``, page after page."""
    codes: list[str] = []
    params: dict[str, Any] = {"limit": 500, "status": OPEN, **query}
    while True:
        page = httpx.get(f"{live_server}/api/v1/incidents", params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        codes += [i["code"] for i in body["items"]]
        if not body["next_cursor"]:
            return codes
        params["cursor"] = body["next_cursor"]


def ready(page: Page) -> None:
    page.wait_for_function(
        "() => window.wanggeState && window.wanggeState.figures && "
        "window.wanggeState.townshipCount === 8 && window.wanggeState.lastLoad && "
        "window.wanggeState.supervisionCounts.overdue !== undefined",
        timeout=30000,
    )


@pytest.fixture
def case(engine, accounts, live_server, admin_headers) -> dict:
    """A new dispute (0101, not sensitive) reported in one of the demo grid worker's
    micro-grids, as the admin files it."""
    worker = accounts["grid_worker"]
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(a.geom) AS p FROM area a "
                "WHERE a.level = 'micro_grid' AND a.code LIKE :g || '%' "
                "AND a.generation_high IS NULL ORDER BY a.code LIMIT 1) q"
            ),
            {"g": worker.area_code},
        ).one()
    answer = httpx.post(
        f"{live_server}/api/v1/incidents",
        json={
            "lon": lon,
            "lat": lat,
            "datum": "cgcs2000",
            "category": "0101",
            "description": "楼道堆放杂物，邻里争执（闭环浏览器测试）",
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **admin_headers},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["responsible"]["member"]["id"] == worker.member_id
    return {"code": body["code"], "lon": lon, "lat": lat}


@pytest.fixture
def desk(browser, live_server, session_cookie, privacy_scan, request) -> Iterator[PageCheck]:
    """The command centre's screen: 1920×1080, signed in as ``command``."""
    check = PageCheck(browser, live_server, session=session_cookie, viewport=DESK)
    yield check
    if not check.page.is_closed():
        privacy_scan.text(f"page {check.page.url}", check.page.content())
    check.close(SCREENSHOTS / f"test_loop_browser-{request.node.name}-desk-last.png")


@pytest.fixture
def phone(browser, live_server, database, accounts, case, privacy_scan) -> Iterator[PageCheck]:
    """The grid worker's phone: touch, 390×844, the position where the case is."""
    session = tokens.issue(_settings(database), accounts["grid_worker"].id, "session").token
    check = PageCheck(
        browser,
        live_server,
        session=session,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": case["lon"], "latitude": case["lat"], "accuracy": 12},
        permissions=["geolocation"],
    )
    yield check
    privacy_scan.text(f"page {check.page.url}", check.page.content())
    check.close(SCREENSHOTS / "test_loop_browser-phone-last.png")


def click_at(page: Page, lon: float, lat: float) -> None:
    """A real mouse click at the pixel where a point is drawn."""
    x, y = page.evaluate(
        f"([lat, lon]) => {{ const p = {MAP}.latLngToContainerPoint([lat, lon]); "
        "return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_grid_worker_closes_a_case_on_the_phone_while_the_command_page_follows_live(
    desk: PageCheck, phone: PageCheck, case, accounts, engine, live_server, admin_headers, auth
) -> None:
    code = case["code"]
    # --- the command centre: zoomed onto the new case, its panel opened by a click ---------
    command = desk.page
    desk.goto("/maps/command", wait_until="load")
    ready(command)
    command.evaluate(
        f"([lat, lon]) => {MAP}.setView([lat, lon], 16, {{animate: false}})",
        [case["lat"], case["lon"]],
    )
    command.wait_for_function("(c) => window.wanggeState.incidents.has(c)", arg=code)
    assert marker_colour(command, code) == rgb(STATUS_COLOURS["reported"])
    click_at(command, case["lon"], case["lat"])
    panel = command.locator(".wg-case-panel")
    expect(panel.locator("h2")).to_have_text(f"{code} · 已上报")
    facts = {
        dt: dd
        for dt, dd in zip(
            panel.locator(".wg-facts dt").all_inner_texts(),
            panel.locator(".wg-facts dd").all_inner_texts(),
            strict=True,
        )
    }
    assert facts["类别"] == "矛盾纠纷 · 邻里纠纷"
    assert facts["承办层级"] == "微网格"
    assert facts["紧急程度"] == "一般"
    assert facts["督办牌"] == "无"
    expect(panel.locator(".wg-step")).to_have_text("当前环节：受理")
    expect(panel.locator(".wg-deadline span").first).to_have_text(TIME_LEFT)
    expect(panel.locator(".wg-trail li")).to_have_count(1)
    expect(panel.locator(".wg-trail li")).to_contain_text("上报")
    # the command seat may accept too: its panel offers what the API says it may do
    mine = httpx.get(f"{live_server}/api/v1/incidents/{code}", headers=auth("command")).json()
    expect(panel.locator("button.wg-action")).to_have_text([a["label"] for a in mine["actions"]])
    navigations: list[str] = []
    command.on(
        "framenavigated", lambda f: navigations.append(f.url) if f == command.main_frame else None
    )
    command.evaluate("() => { window.wgNotReloaded = true; }")
    shot(command, "a1-command-reported")

    # --- the phone: my cases, tap the new one, accept it ------------------------------------
    worker = accounts["grid_worker"]
    phone.goto(f"/maps/field?member={worker.member_id}", wait_until="load")
    mobile = phone.page
    row = mobile.locator(f".wg-case-list li[data-code='{code}']")
    expect(row).to_be_visible()
    row.tap()
    sheet = mobile.locator(".wg-sheet")
    expect(sheet.locator("h2")).to_have_text(f"{code} · 已上报")
    buttons = sheet.locator("button.wg-action")
    for box in (buttons.nth(i).bounding_box() for i in range(buttons.count())):
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    buttons.filter(has_text="受理").first.tap()
    expect(sheet.locator(".wg-position")).to_contain_text("将附上您的位置")
    sheet.locator("button[type=submit]", has_text="确认受理").tap()
    expect(sheet).to_contain_text("已受理，当前状态：已受理")
    # the command page follows: its open panel shows the new status and trail
    expect(panel.locator("h2")).to_have_text(f"{code} · 已受理", timeout=5000)
    expect(panel.locator(".wg-notice")).to_have_text("该事件已更新")
    expect(panel.locator(".wg-trail li").first).to_contain_text("已上报 → 已受理")
    expect(panel.locator(".wg-trail li").first).to_contain_text("网格员")

    # --- on the spot: 自行处置 with a photo from the camera, which closes the case -----------
    sheet.locator("button.wg-action", has_text="自行处置").tap()
    photo = sheet.locator("input[name=photo]")
    assert photo.get_attribute("capture") == "environment"
    submit = sheet.locator("button[type=submit]", has_text="确认自行处置")
    submit.tap()  # without the photo the page refuses before sending anything
    expect(sheet.locator(".wg-action-message")).to_have_text("请拍摄或选择现场照片")
    photo.set_input_files(
        files=[{"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": camera_photo()}]
    )
    expect(sheet.locator(".wg-photo-count")).to_have_text("已选 1 张照片")
    sheet.locator("textarea[name=reason]").fill("已协调双方清理楼道")
    shot(mobile, "a2-phone-self-handle")
    submit.tap()
    expect(sheet).to_contain_text("已自行处置，当前状态：已结案", timeout=10000)
    shot(mobile, "a3-phone-closed")

    # the command page: the closed colour, the panel's new status, trail and photo
    command.wait_for_function(
        "([c, colour]) => { const m = window.wanggeState.incidents.get(c); "
        "const dot = m && m._icon && m._icon.querySelector('i'); "
        "return dot && getComputedStyle(dot).backgroundColor === colour; }",
        arg=[code, rgb(STATUS_COLOURS["closed"])],
        timeout=5000,
    )
    expect(panel.locator("h2")).to_have_text(f"{code} · 已结案", timeout=5000)
    newest = panel.locator(".wg-trail li").first
    expect(newest).to_contain_text("自行处置")
    expect(newest).to_contain_text("已受理 → 已结案")
    expect(newest).to_contain_text("已协调双方清理楼道")
    expect(newest.locator("img")).to_have_count(1)
    command.wait_for_function(
        "() => { const i = document.querySelector('.wg-trail img'); "
        "return i && i.complete && i.naturalWidth === 320; }"
    )
    expect(panel.locator(".wg-deadline")).to_have_text("已办结，不再计时")
    assert command.evaluate("() => window.wgNotReloaded") is True
    assert navigations == []
    shot(command, "a4-command-closed")

    # what was written: the trail, the position the phone sent, the photo without EXIF
    with engine.connect() as conn:
        status, closed_level = conn.execute(
            text("SELECT status, closed_level FROM incident WHERE code = :c"), {"c": code}
        ).one()
        trail = conn.execute(
            text(
                "SELECT e.action, e.actor, e.from_status, e.to_status, e.reason, "
                "jsonb_array_length(e.attachments), e.attachments->0->>'id' "
                "FROM incident_event e JOIN incident i ON i.id = e.incident_id "
                "WHERE i.code = :c AND e.kind = 'action' ORDER BY e.id"
            ),
            {"c": code},
        ).all()
    assert (status, closed_level) == ("closed", "micro_grid")
    assert [tuple(r[:6]) for r in trail] == [
        ("accept", "grid_worker", "reported", "accepted", None, 0),
        ("self_handle", "grid_worker", "accepted", "closed", "已协调双方清理楼道", 1),
    ]
    served = httpx.get(f"{live_server}/api/v1/attachments/{trail[1][6]}", headers=admin_headers)
    assert served.status_code == 200
    assert dict(Image.open(io.BytesIO(served.content)).getexif()) == {}
    phone.assert_clean()
    desk.assert_clean()


def test_command_seat_accepts_files_and_dispatches_to_the_suggested_department(
    desk: PageCheck, case, engine
) -> None:
    """受理, 立案, then 派遣 to the department the routing matrix suggests (preselected,
    marked 建议), each answered with the case as it now is, its new deadline in China time."""
    code = case["code"]
    command = desk.page
    desk.goto("/maps/command", wait_until="load")
    ready(command)
    command.evaluate("(c) => window.wanggeState.showIncident(c)", code)
    panel = command.locator(".wg-case-panel")
    for label, status in (("受理", "已受理"), ("立案", "已立案")):
        panel.get_by_role("button", name=label, exact=True).click()
        panel.get_by_role("button", name="确认" + label, exact=True).click()
        expect(panel.locator(".wg-notice")).to_have_text(f"已{label}，当前状态：{status}")
    panel.get_by_role("button", name="派遣", exact=True).click()
    department = panel.locator("select[name=department_code]")
    expect(department.locator("option:checked")).to_have_text("达拉特旗司法局（建议）")
    with engine.connect() as conn:  # the departments the routing matrix names
        named = conn.execute(
            text(
                "SELECT count(DISTINCT department_id) FROM (SELECT department_id FROM category "
                "WHERE parent_code IS NOT NULL UNION SELECT department_id FROM routing_override) d "
                "WHERE department_id IS NOT NULL"
            )
        ).scalar_one()
    expect(department.locator("option")).to_have_count(named)
    shot(command, "b1-command-dispatch")
    panel.locator("button[type=submit]", has_text="确认派遣").click()
    expect(panel.locator(".wg-notice")).to_have_text("已派遣，当前状态：已派遣")
    expect(panel.locator(".wg-step")).to_have_text("当前环节：签收")
    newest = panel.locator(".wg-trail li").first
    expect(newest).to_contain_text("派遣")
    expect(newest).to_contain_text("已立案 → 已派遣")
    expect(newest).to_contain_text("派遣至 达拉特旗司法局")
    expect(newest).to_contain_text("指挥中心")
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT i.status, d.code, "
                "to_char(i.step_due_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') "
                "FROM incident i JOIN department d ON d.id = i.department_id WHERE i.code = :c"
            ),
            {"c": code},
        ).one()
    assert tuple(row[:2]) == ("dispatched", "D02")
    sign = panel.locator(".wg-deadline").first
    expect(sign).to_contain_text(f"环节时限 {row[2]}")
    expect(sign.locator("span")).to_have_text(TIME_LEFT)
    shot(command, "b2-command-dispatched")
    desk.assert_clean()


def test_the_supervision_filter_shows_exactly_what_the_list_api_answers(
    desk: PageCheck, engine, live_server, auth
) -> None:
    headers = auth("command")
    expected = {
        value: listed(live_server, headers, **{param: value})
        for param, value in (
            ("due", "soon"),
            ("due", "overdue"),
            ("card", "yellow"),
            ("card", "red"),
        )
    }
    with engine.connect() as conn:  # the same rule, written here: open, not hung, step past due
        late = conn.execute(
            text(
                "SELECT count(*) FROM incident WHERE status NOT IN "
                "('void', 'closed', 'evaluated', 'hung') "
                "AND coalesce(step_due_at, deadline_at) < now() "  # in the desk's banner
                "AND queue_area_id IN (SELECT id FROM area WHERE code LIKE '150621%')"
            )
        ).scalar_one()
    assert len(expected["overdue"]) == late > 0
    command = desk.page
    desk.goto("/maps/command", wait_until="load")
    ready(command)
    buttons = command.locator(".wg-supervision button")
    expect(buttons).to_have_text(
        [
            f"{label} {len(expected[v])}"
            for label, v in (
                ("即将到期", "soon"),
                ("已超期", "overdue"),
                ("黄牌", "yellow"),
                ("红牌", "red"),
            )
        ]
    )
    # 已超期: every overdue case of the scope, at the banner's zoom too, and the list of them
    with command.expect_response(lambda r: "due=overdue" in r.url):
        buttons.filter(has_text="已超期").click()
    command.wait_for_function("() => window.wanggeState.lastLoad.supervision === 'overdue'")
    drawn = command.evaluate("() => Array.from(window.wanggeState.incidents.keys())")
    assert sorted(drawn) == sorted(expected["overdue"])
    expect(command.locator(".wg-count")).to_have_text(f"已超期：全辖区 {late} 个事件")
    panel = command.locator(".wg-case-panel")
    expect(panel.locator("h2")).to_have_text(f"已超期 · {late} 件")
    rows = panel.locator(".wg-due-list li")
    expect(rows).to_have_count(late)
    expect(rows.first.locator("div").last).to_have_text(re.compile(r"^已超期 \d+ (天|小时|分)"))
    shot(command, "c1-command-overdue")
    # a row opens its case, the map on it; 返回 comes back to the list
    first = rows.first.get_attribute("data-code")
    rows.first.click()
    expect(panel.locator("h2")).to_contain_text(f"{first} · ")
    expect(panel.locator(".wg-deadline .wg-overdue").first).to_contain_text("已超期")
    assert command.evaluate(f"() => {MAP}.getZoom()") >= 16
    shot(command, "c2-command-overdue-case")
    panel.locator(".wg-back").click()
    expect(rows).to_have_count(late)
    # 红牌: the red-carded open cases
    buttons.filter(has_text="红牌").click()
    command.wait_for_function("() => window.wanggeState.lastLoad.supervision === 'red'")
    drawn = command.evaluate("() => Array.from(window.wanggeState.incidents.keys())")
    assert sorted(drawn) == sorted(expected["red"])
    # the same button again: no filter, the panel closes, the view's markers come back
    buttons.filter(has_text="红牌").click()
    expect(panel).to_be_hidden()
    command.wait_for_function("() => window.wanggeState.lastLoad.supervision === ''")
    desk.assert_clean()


def test_a_stale_version_and_a_refusal_read_in_chinese_on_the_case_panel(
    desk: PageCheck, case, live_server, admin_headers, engine
) -> None:
    """The panel's 受理 form is open on version 1 when the admin accepts the case: the seat's
    受理 is refused (412), nothing of theirs is written and the panel shows the case as it now
    is. A 409 cannot be caused through the page (If-Match is checked first, and the page only
    offers the actions the API lists), so its answer is the service's body, substituted once,
    to check the page's wording."""
    code = case["code"]
    command = desk.page
    desk.goto("/maps/command", wait_until="load")
    ready(command)
    command.evaluate("(c) => window.wanggeState.showIncident(c)", code)
    panel = command.locator(".wg-case-panel")
    panel.get_by_role("button", name="受理", exact=True).click()
    submit = panel.get_by_role("button", name="确认受理", exact=True)
    expect(submit).to_be_visible()
    first = httpx.post(
        f"{live_server}/api/v1/incidents/{code}/actions",
        json={"action": "accept"},
        headers={"If-Match": '"1"', **admin_headers},
    )
    assert first.status_code == 200, first.text
    with command.expect_response(lambda r: r.url.endswith(f"/{code}/actions")) as refused:
        submit.click()
    assert refused.value.status == 412
    expect(panel.locator(".wg-notice")).to_have_text("该事件已被他人更新，以下为最新内容")
    expect(panel.locator("h2")).to_have_text(f"{code} · 已受理")
    with engine.connect() as conn:
        actors = (
            conn.execute(
                text(
                    "SELECT e.actor FROM incident_event e JOIN incident i ON i.id = e.incident_id "
                    "WHERE i.code = :c AND e.kind = 'action' ORDER BY e.id"
                ),
                {"c": code},
            )
            .scalars()
            .all()
        )
    assert actors == ["admin"]

    refusal = {
        "detail": f"file is not allowed on incident {code} in status dispatched",
        "code": "conflict",
        "errors": [],
        "status": "dispatched",
        "allowed": ["card"],
    }
    once: Callable[[Any], None] = lambda route: route.fulfill(  # noqa: E731
        status=409, content_type="application/json", body=json.dumps(refusal)
    )
    command.route(f"**/incidents/{code}/actions", once, times=1)
    panel.get_by_role("button", name="立案", exact=True).click()
    panel.get_by_role("button", name="确认立案", exact=True).click()
    expect(panel.locator(".wg-notice")).to_have_text(
        "该事件当前为「已派遣」，不能立案；您现在可以：督办亮牌"
    )
    shot(command, "d1-command-refused")
    # the two refusals are the ones this test caused; nothing else went wrong on the page
    refused_here = re.compile(rf"(HTTP (412|409)|status of (412|409)\b).*/{code}/actions")
    problems = [p for p in desk.problems if not refused_here.search(p)]
    assert len(desk.problems) - len(problems) == 4  # each refusal: its answer and its console line
    assert problems == []


def test_a_case_moved_meanwhile_is_refused_on_the_phone_and_shown_as_it_is_now(
    phone: PageCheck, case, accounts, engine, live_server, admin_headers
) -> None:
    """The grid worker's 受理 form is open on version 1 when the admin accepts the case: the
    worker's 受理 is refused (412), nothing of theirs is written, and the sheet shows the case
    as it now is with the actions left to the worker."""
    code = case["code"]
    phone.goto(f"/maps/field?member={accounts['grid_worker'].member_id}", wait_until="load")
    mobile = phone.page
    mobile.locator(f".wg-case-list li[data-code='{code}']").tap()
    sheet = mobile.locator(".wg-sheet")
    sheet.locator("button.wg-action", has_text="受理").first.tap()
    submit = sheet.locator("button[type=submit]", has_text="确认受理")
    expect(submit).to_be_visible()
    first = httpx.post(
        f"{live_server}/api/v1/incidents/{code}/actions",
        json={"action": "accept"},
        headers={"If-Match": '"1"', **admin_headers},
    )
    assert first.status_code == 200, first.text
    with mobile.expect_response(lambda r: r.url.endswith(f"/{code}/actions")) as refused:
        submit.tap()
    assert refused.value.status == 412
    expect(sheet.locator(".wg-notice")).to_have_text("该事件已被他人更新，以下为最新内容")
    expect(sheet.locator("h2")).to_have_text(f"{code} · 已受理")
    expect(sheet.locator("button.wg-action", has_text="自行处置")).to_be_visible()
    shot(mobile, "e1-phone-stale")
    with engine.connect() as conn:
        actors = (
            conn.execute(
                text(
                    "SELECT e.actor FROM incident_event e JOIN incident i ON i.id = e.incident_id "
                    "WHERE i.code = :c AND e.kind = 'action' ORDER BY e.id"
                ),
                {"c": code},
            )
            .scalars()
            .all()
        )
    assert actors == ["admin"]
    problems = [p for p in phone.problems if not re.search(rf"412.*/{code}/actions", p)]
    assert len(phone.problems) - len(problems) == 2  # the answer and its console line
    assert problems == []
