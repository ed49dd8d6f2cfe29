"""The closed loop in two real browsers (issue #13 §5): a grid worker on a phone accepts a new
case and handles it on the spot with a photo from the camera (自行处置, which closes it), while
the command centre's page, open in another browser context, follows without reloading: the
marker takes each new status's colour and the open case panel shows the new state and trail.

Both pages run against the live service with the network cut off (``tests/browser.py``);
screenshots of each step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import text

from api import tokens
from maps.pages import STATUS_COLOURS
from tests.browser import SCREENSHOTS, PageCheck
from tests.conftest import _settings

PHONE = {"width": 390, "height": 844}
GPS_IFD = 0x8825


def camera_photo() -> bytes:
    """A JPEG as a phone camera writes it, with the position in its EXIF."""
    image = Image.new("RGB", (320, 240), (90, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "WanggePhone"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 20.0, 30.0), 3: "E", 4: (110.0, 2.0, 3.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"test_loop_browser-{name}.png", full_page=True)


@pytest.fixture
def case(engine, accounts, live_server, admin_headers) -> dict:
    """A new dispute (not sensitive) reported in one of the demo grid worker's micro-grids."""
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


def marker_colour(page: Page, code: str) -> str | None:
    return page.evaluate(
        "(code) => { const m = window.wanggeState.incidents.get(code); "
        "return m ? m.options.fillColor : null; }",
        code,
    )


def test_grid_worker_accepts_and_self_handles_with_a_photo_while_command_watches(
    page_check: PageCheck,
    phone: PageCheck,
    case,
    accounts,
    engine,
    live_server,
    admin_headers,
    auth,
) -> None:
    code = case["code"]
    # --- the command centre: all statuses, zoomed onto the case, its panel open ------------
    command = page_check.page
    page_check.goto("/maps/command", wait_until="load")
    command.wait_for_function("() => window.wanggeState && window.wanggeState.townshipCount === 8")
    command.select_option(".wg-panel select[name=status]", "all")
    command.evaluate(
        "([lat, lon]) => { const m = Object.keys(window).filter(k => k.startsWith('map_'))"
        ".map(k => window[k]).find(v => v instanceof L.Map); m.setView([lat, lon], 16); }",
        [case["lat"], case["lon"]],
    )
    command.wait_for_function("(c) => window.wanggeState.incidents.has(c)", arg=code)
    assert marker_colour(command, code) == STATUS_COLOURS["reported"]
    command.evaluate("(c) => window.wanggeState.showIncident(c)", code)
    panel = command.locator(".wg-case-panel")
    expect(panel).to_contain_text(f"{code} · 已上报")
    expect(panel.locator(".wg-trail li")).to_have_count(1)
    # the command seat may accept too: the panel offers it
    expect(panel.locator("button.wg-action", has_text="受理")).to_be_visible()
    command.evaluate("() => { window.wgNotReloaded = true; }")

    # --- the phone: my cases, tap the new one, accept it ------------------------------------
    worker = accounts["grid_worker"]
    phone.goto(f"/maps/field?member={worker.member_id}", wait_until="load")
    mobile = phone.page
    row = mobile.locator(f".wg-case-list li[data-code='{code}']")
    expect(row).to_be_visible()
    row.tap()
    sheet = mobile.locator(".wg-sheet")
    expect(sheet).to_contain_text(f"{code} · 已上报")
    expect(sheet).to_contain_text("当前环节：受理")
    buttons = sheet.locator("button.wg-action")
    expect(buttons.filter(has_text="受理")).to_be_visible()
    for box in (buttons.nth(i).bounding_box() for i in range(buttons.count())):
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    shot(mobile, "1-phone-case")
    buttons.filter(has_text="受理").first.tap()
    expect(sheet.locator(".wg-position")).to_contain_text("将附上您的位置")
    sheet.locator("button[type=submit]", has_text="确认受理").tap()
    expect(sheet).to_contain_text("已受理，当前状态：已受理")
    expect(sheet.locator("h2")).to_have_text(f"{code} · 已受理")

    # the command page follows: colour and panel, no reload
    command.wait_for_function(
        "([c, colour]) => { const m = window.wanggeState.incidents.get(c); "
        "return m && m.options.fillColor === colour; }",
        arg=[code, STATUS_COLOURS["accepted"]],
        timeout=5000,
    )
    expect(panel).to_contain_text(f"{code} · 已受理", timeout=5000)
    expect(panel.locator(".wg-trail")).to_contain_text("受理")
    shot(command, "2-command-accepted")

    # --- on the spot: 自行处置 with a photo from the camera, which closes the case -----------
    self_handle = sheet.locator("button.wg-action", has_text="自行处置")
    expect(self_handle).to_be_visible()
    self_handle.tap()
    photo = sheet.locator("input[name=photo]")
    assert photo.get_attribute("accept") == "image/*"
    assert photo.get_attribute("capture") == "environment"
    submit = sheet.locator("button[type=submit]", has_text="确认自行处置")
    submit.tap()  # without the photo the page refuses before sending anything
    expect(sheet.locator(".wg-action-message")).to_have_text("请拍摄或选择现场照片")
    photo.set_input_files(
        files=[{"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": camera_photo()}]
    )
    expect(sheet.locator(".wg-photo-count")).to_have_text("已选 1 张照片")
    sheet.locator("textarea[name=reason]").fill("已协调双方清理楼道")
    shot(mobile, "3-phone-self-handle")
    submit.tap()
    expect(sheet).to_contain_text("已自行处置，当前状态：已结案", timeout=10000)
    # what is left for the grid worker on a closed case is what the API says (评价 …)
    left = httpx.get(f"{live_server}/api/v1/incidents/{code}", headers=auth("grid_worker"))
    expect(sheet.locator("button.wg-action")).to_have_text(
        [a["label"] for a in left.json()["actions"]]
    )
    assert "self_handle" not in {a["name"] for a in left.json()["actions"]}
    expect(mobile.locator(f".wg-case-list li[data-code='{code}']")).to_have_count(0)
    shot(mobile, "4-phone-closed")

    # the command page: closed colour, the panel shows the closed case, its trail and photo
    command.wait_for_function(
        "([c, colour]) => { const m = window.wanggeState.incidents.get(c); "
        "return m && m.options.fillColor === colour; }",
        arg=[code, STATUS_COLOURS["closed"]],
        timeout=5000,
    )
    expect(panel).to_contain_text(f"{code} · 已结案", timeout=5000)
    expect(panel.locator(".wg-trail li").first).to_contain_text("自行处置")
    expect(panel.locator(".wg-trail li").first).to_contain_text("已受理 → 已结案")
    expect(panel.locator(".wg-trail img")).to_have_count(1)
    assert command.evaluate("() => window.wgNotReloaded") is True
    shot(command, "5-command-closed")
    # 时限督办: a second case next to it, its step deadline a day past (set here), is overdue;
    # 已超期 asks the list API for due=overdue and shows exactly what it answers
    late = httpx.post(
        f"{live_server}/api/v1/incidents",
        json={
            "lon": case["lon"] + 0.0002,
            "lat": case["lat"],
            "datum": "cgcs2000",
            "category": "0101",
            "description": "超期测试",
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **admin_headers},
    ).json()["code"]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE incident SET step_due_at = now() - interval '1 day' WHERE code = :c"),
            {"c": late},
        )
    with command.expect_response(lambda r: "due=overdue" in r.url) as listed:
        command.select_option(".wg-panel select[name=deadline]", "overdue")
    overdue = {f["id"] for f in listed.value.json()["features"]}
    command.wait_for_function("(n) => window.wanggeState.incidents.size === n", arg=len(overdue))
    assert set(command.evaluate("() => Array.from(window.wanggeState.incidents.keys())")) == overdue
    with engine.connect() as conn:  # the open cases in view past their deadline, by SQL here
        expected = set(
            conn.execute(
                text(
                    "SELECT code FROM incident WHERE status NOT IN ('void', 'closed', 'evaluated')"
                    " AND coalesce(step_due_at, deadline_at) < now()"
                    " AND ST_DWithin(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), 0.004)"
                ),
                {"lon": case["lon"], "lat": case["lat"]},
            ).scalars()
        )
    assert late in expected and expected <= overdue, (expected, overdue)
    assert code not in overdue
    shot(command, "6-command-overdue")

    # what was written: the trail, the position sent by the phone, the photo without EXIF
    with engine.connect() as conn:
        status, closed_level = conn.execute(
            text("SELECT status, closed_level FROM incident WHERE code = :c"), {"c": code}
        ).one()
        trail = conn.execute(
            text(
                "SELECT e.action, e.actor, e.from_status, e.to_status, e.reason, "
                "jsonb_array_length(e.attachments), "
                "round(ST_X(e.where_geom)::numeric, 5), round(ST_Y(e.where_geom)::numeric, 5), "
                "e.attachments->0->>'id' FROM incident_event e JOIN incident i "
                "ON i.id = e.incident_id WHERE i.code = :c AND e.kind = 'action' ORDER BY e.id"
            ),
            {"c": code},
        ).all()
    assert (status, closed_level) == ("closed", "micro_grid")
    assert [tuple(r[:6]) for r in trail] == [
        ("accept", "grid_worker", "reported", "accepted", None, 0),
        ("self_handle", "grid_worker", "accepted", "closed", "已协调双方清理楼道", 1),
    ]
    lon, lat = round(case["lon"], 5), round(case["lat"], 5)
    assert all(abs(float(r[6]) - lon) <= 1e-5 and abs(float(r[7]) - lat) <= 1e-5 for r in trail)
    served = httpx.get(f"{live_server}/api/v1/attachments/{trail[1][8]}", headers=admin_headers)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.content)).getexif()) == {}
    assert b"WanggePhone" not in served.content
    phone.assert_clean()
    page_check.assert_clean()


def test_a_case_moved_by_someone_else_meanwhile_is_refused_and_shown_as_it_is_now(
    phone: PageCheck, case, accounts, engine, live_server, admin_headers
) -> None:
    """The grid worker's form is open on version 1 when the command seat accepts the case:
    the worker's 受理 is refused (412) and nothing of theirs is written; the sheet shows the
    case as it now is, with the actions left to the worker."""
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
    shot(mobile, "7-phone-stale")
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
    # the one 412 is the refusal the test caused; nothing else went wrong on the page
    assert [p for p in phone.problems if "412" not in p] == []


def test_command_seat_accepts_files_and_dispatches_from_the_case_panel(
    page_check: PageCheck, case, engine
) -> None:
    """The case panel's forms on a desktop: 受理, 立案, then 派遣 to the department the routing
    matrix suggests (preselected, marked 建议), each answered with the case as it now is."""
    code = case["code"]
    command = page_check.page
    page_check.goto("/maps/command", wait_until="load")
    command.wait_for_function("() => window.wanggeState && window.wanggeState.townshipCount === 8")
    command.evaluate("(c) => window.wanggeState.showIncident(c)", code)
    panel = command.locator(".wg-case-panel")
    for label, status in (("受理", "已受理"), ("立案", "已立案")):
        panel.get_by_role("button", name=label, exact=True).click()
        panel.get_by_role("button", name="确认" + label, exact=True).click()
        expect(panel.locator(".wg-notice")).to_have_text(f"已{label}，当前状态：{status}")
    panel.get_by_role("button", name="派遣", exact=True).click()
    department = panel.locator("select[name=department_code]")
    expect(department.locator("option:checked")).to_have_text("达拉特旗司法局（建议）")
    assert department.locator("option").count() > 10
    shot(command, "8-command-dispatch")
    panel.locator("button[type=submit]", has_text="确认派遣").click()
    expect(panel.locator(".wg-notice")).to_have_text("已派遣，当前状态：已派遣")
    expect(panel).to_contain_text("当前环节：签收")
    expect(panel).to_contain_text("环节时限")
    left = panel.locator(".wg-deadline span").first  # the sign step's time left
    expect(left).to_have_text(re.compile(r"^剩\d+(分钟|小时|天)$"))
    expect(panel.locator(".wg-trail li").first).to_contain_text("派遣")
    expect(panel.locator(".wg-trail li").first).to_contain_text("已立案 → 已派遣")
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT i.status, d.code, i.handling_started_at IS NOT NULL, "
                "i.step_due_at > now() FROM incident i "
                "JOIN department d ON d.id = i.department_id WHERE i.code = :c"
            ),
            {"c": code},
        ).one()
    assert tuple(row) == ("dispatched", "D02", True, True)
    page_check.assert_clean()
