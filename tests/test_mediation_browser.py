"""调解卷宗 on a phone (390×844), in real headless Chromium with every other host blocked:
the village mediator records an attempt with the page's form, and the ladder shows it."""

from __future__ import annotations

from playwright.sync_api import expect

from geo.periods import china_today
from tests.test_field_browser import _latin_words, _too_small_or_outside, page_as, session_of
from tests.test_mediation import URL, dispute, intake, made, ok, point

__all__ = ["dispute", "made", "page_as", "point", "session_of"]


def test_the_mediator_records_an_attempt_on_a_phone(page_as, client, auth, dispute) -> None:
    code = dispute()
    intake(client, auth, code, intake_on=china_today().isoformat())  # the attempt is on time
    check = page_as("mediator")
    page = check.page
    check.goto(f"/maps/mediation?case={code}", wait_until="load")
    form = page.locator(".wg-attempt-form")
    expect(form).to_be_visible()
    expect(page.locator(".wg-rung.wg-current")).to_have_attribute("data-level", "village")
    assert _too_small_or_outside(page) == []
    form.locator("input[name=mediator]").fill("王调解")
    form.locator("input[name=participants]").fill("张三、李四")
    form.locator("textarea[name=record]").fill("双方到场，调解员释法说理，双方分歧较大。")
    form.locator("select[name=outcome]").select_option("not_settled")
    form.locator("button[type=submit]").click()
    expect(page.locator(".wg-ok")).to_have_text("已保存")
    village = page.locator(".wg-rung[data-level=village]")
    expect(village.locator(".wg-used")).to_have_text("1/3")
    expect(village.locator(".wg-slot.wg-not_settled")).to_have_count(1)
    expect(page.locator(".wg-rung.wg-current")).to_have_attribute("data-level", "village")
    assert _latin_words(page) == set()
    check.assert_clean()
    file = ok(client.get(f"{URL}/{code}/mediation", headers=auth("mediator")))
    assert [(a["level"], a["rung"], a["outcome"]) for a in file["attempts"]] == [
        ("village", 1, "not_settled")
    ]
    assert file["attempts"][0]["participants"] == ["张*", "李*"]
