"""达拉特红 on the field page, in Chromium on a phone: a party member's points, the community's
open tasks, a claim from the 认领 button; nobody else sees the panel."""

from __future__ import annotations

from sqlalchemy import text

PHONE = {"width": 390, "height": 844}


def test_a_party_member_claims_a_task_from_the_field_page(page_as, client, auth, accounts, engine):
    member = accounts["party_member"]
    with engine.connect() as conn:
        village = conn.execute(
            text(
                "SELECT code FROM area WHERE level = 'village' AND generation_high IS NULL "
                "AND left(:c, length(code)) = code"
            ),
            {"c": member.area_code},
        ).scalar_one()
    if not client.get("/api/v1/party/points", headers=auth("party_member")).json()["registered"]:
        assert (
            client.post(
                "/api/v1/party/registrations", json={}, headers=auth("party_member")
            ).status_code
            == 201
        )
    published = client.post(
        "/api/v1/party/tasks",
        json={"community": village, "title": "浏览器测试任务"},
        headers=auth("grid_worker"),
    )
    assert published.status_code == 201, published.text
    task = published.json()["id"]
    points = client.get("/api/v1/party/points", headers=auth("party_member")).json()

    check = page_as("party_member", viewport=PHONE, has_touch=True)
    check.goto("/maps/field", wait_until="load")
    page = check.page
    page.wait_for_function("window.wanggePartyState && window.wanggePartyState.points")
    assert page.locator(".wg-party button[data-do='claim']").count() == 0  # folded on a phone
    page.click(".wg-party-head")
    assert page.inner_text(".wg-party-points b") == str(points["points"])
    button = page.locator(f".wg-party button[data-task='{task}']")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    button.click()
    page.wait_for_function("window.wanggePartyState.claims === 1")
    claimed = client.get(
        "/api/v1/party/tasks",
        params={"state": "claimed", "community": village},
        headers=auth("command"),
    ).json()
    ours = [t for t in claimed if t["id"] == task]
    assert ours and ours[0]["claim"]["member"]["id"] == member.member_id
    assert "认领成功" in page.inner_text(".wg-party")
    check.assert_clean()


def test_no_panel_for_anyone_else(page_as, accounts):
    check = page_as("township", viewport=PHONE, has_touch=True)
    check.goto(f"/maps/field?member={accounts['party_member'].member_id}", wait_until="load")
    check.page.wait_for_function("window.wanggePartyState && window.wanggePartyState.hidden")
    assert check.page.locator(".wg-party").count() == 0
    check.assert_clean()
