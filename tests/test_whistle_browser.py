"""The whistle on the pages: the command map's layer (command-whistle.js) and a department
officer's summons on a phone (field-whistle.js), in the rendered HTML and in real Chromium with
every other host blocked."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import text

from api import tokens
from tests.browser import SCREENSHOTS, PageCheck, screenshot_name
from tests.conftest import _settings

DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def case(engine) -> dict[str, object]:
    """An open sample case of 树林召镇 routed to 司法局 D02 (the demo department)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT i.code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat FROM incident i "
                "JOIN area q ON q.id = i.queue_area_id JOIN department d ON d.id = i.department_id "
                "WHERE d.code = 'D02' AND q.code LIKE '150621001%' "
                "AND i.status NOT IN ('closed', 'evaluated', 'void') ORDER BY i.id DESC LIMIT 1"
            )
        ).one()
    return {"code": row.code, "lon": row.lon, "lat": row.lat}


@pytest.fixture(scope="module", autouse=True)
def release_at_end(engine) -> Iterator[None]:
    with engine.connect() as conn:
        before = conn.execute(text("SELECT coalesce(max(id), 0) FROM whistle")).scalar_one()
    yield
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE whistle SET released_at = now() WHERE id > :b AND released_at IS NULL"),
            {"b": before},
        )


def test_the_pages_include_the_whistle_scripts(client, auth) -> None:
    command = client.get("/maps/command", headers=auth("command"))
    assert command.status_code == 200
    assert '/static/wangge/command-whistle.js"' in command.text
    assert '/static/wangge/whistle.css"' in command.text
    field = client.get("/maps/field", headers=auth("department"))
    assert field.status_code == 200
    assert '/static/wangge/field-whistle.js"' in field.text
    assert '"department": "D02"' in field.text and "部门报到" in field.text
    grid = client.get("/maps/field", headers=auth("command"))  # no member, no department
    assert grid.status_code == 404
    for script in ("command-whistle.js", "field-whistle.js", "whistle.css"):
        assert client.get(f"/static/wangge/{script}").status_code == 200


def test_a_whistle_appears_on_the_command_map_and_the_officers_arrival_turns_it_green(
    browser: Browser, live_server, database, accounts, client, auth, case, privacy_scan, request
) -> None:
    settings = _settings(database)
    command = PageCheck(
        browser,
        live_server,
        session=tokens.issue(settings, accounts["command"].id, "session").token,
        viewport=DESKTOP,
    )
    officer = PageCheck(
        browser,
        live_server,
        session=tokens.issue(settings, accounts["department"].id, "session").token,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": case["lon"], "latitude": case["lat"], "accuracy": 25},
        permissions=["geolocation"],
    )
    try:
        command.goto("/maps/command")
        expect(command.page.locator(".wg-whistles[data-ready=true]")).to_be_attached()
        body = {
            "code": case["code"], "kind": "emergency", "reason": "浏览器测试：联合处置",
            "lon": case["lon"], "lat": case["lat"], "datum": "cgcs2000",
            "assisting_departments": ["D05"],
        }  # fmt: skip
        blown = client.post("/api/v1/whistles", json=body, headers=auth("township"))
        assert blown.status_code == 201, blown.text
        whistle = blown.json()["id"]
        item = command.page.locator(f".wg-wh-item[data-whistle='{whistle}']")
        expect(item).to_be_visible()  # live: the page was not reloaded
        d02 = item.locator(".wg-wh-dept[data-dept=D02]")
        expect(d02).to_have_attribute("data-state", "awaiting")
        expect(d02).to_contain_text("未到")
        expect(item.locator(".wg-wh-dept[data-dept=D05]")).to_contain_text("未到")

        officer.goto("/maps/field")
        card = officer.page.locator(f"article[data-whistle='{whistle}']")
        expect(card).to_contain_text("应急处置")
        button = card.locator("button.wg-arrive")
        expect(button).to_have_text("我已到达")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300
        button.tap()
        expect(card.locator(".wg-summons-note")).to_have_text("报到成功：按时到场")
        expect(officer.page.locator(f"article[data-whistle='{whistle}'] button")).to_be_disabled()

        expect(d02).to_have_attribute("data-state", "arrived")  # live, without reloading
        expect(d02).to_contain_text("已到")
        expect(d02).to_have_css("background-color", "rgb(26, 152, 80)")
        expect(item.locator(".wg-wh-dept[data-dept=D05]")).to_have_attribute(
            "data-state", "awaiting"
        )
        assert (
            client.get(f"/api/v1/whistles/{whistle}", headers=auth("command")).json()[
                "departments"
            ][0]["checkins"]
            == 1
        )
        for check in (command, officer):  # Chinese only (codes such as DLT-2024-… aside)
            words = set(re.findall(r"[A-Za-z]+", check.page.evaluate("document.body.innerText")))
            assert words - {"DLT", "km", "m"} == set(), words
            check.assert_clean()
    finally:
        for i, check in enumerate((command, officer)):
            if not check.page.is_closed():
                privacy_scan.text(f"page {check.page.url}", check.page.content())
            check.close(SCREENSHOTS / screenshot_name(request.node.name + f"-{i}"))


def test_a_phone_position_too_vague_is_refused_in_the_officers_words(
    browser: Browser, live_server, database, accounts, client, auth, case, engine, request
) -> None:
    blown = client.post(
        "/api/v1/whistles",
        json={"code": case["code"], "kind": "emergency", "reason": "精度测试"},
        headers=auth("township"),
    )
    assert blown.status_code == 201, blown.text
    whistle = blown.json()["id"]
    officer = PageCheck(
        browser,
        live_server,
        session=tokens.issue(_settings(database), accounts["department"].id, "session").token,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": case["lon"], "latitude": case["lat"], "accuracy": 900},
        permissions=["geolocation"],
    )
    try:
        officer.goto("/maps/field")
        card = officer.page.locator(f"article[data-whistle='{whistle}']")
        card.locator("button.wg-arrive").tap()
        expect(card.locator(".wg-summons-note")).to_have_text(
            "定位误差太大，请到开阔处、打开卫星定位后重试"
        )
        expect(card.locator("button.wg-arrive")).to_be_enabled()  # may try again
        # the refused check-in, and Chromium's console line about it; nothing else
        assert officer.problems and all("422" in p for p in officer.problems), officer.problems
    finally:
        officer.close(SCREENSHOTS / screenshot_name(request.node.name))
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM whistle_checkin WHERE whistle_id = :w"), {"w": whistle}
            ).scalar_one()
            == 0
        )
