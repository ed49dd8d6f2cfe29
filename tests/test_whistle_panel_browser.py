"""The command page's case panel blows, releases and scores whistles and links a dispute to
its mediation file (command-whistle-form.js), in real Chromium at 1920×1080 as ``township``,
every other host blocked; the map index's own links for a department and a mediator."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect
from sqlalchemy import text

from api import tokens
from tests.browser import SCREENSHOTS, PageCheck, screenshot_name
from tests.conftest import _settings

DESKTOP = {"width": 1920, "height": 1080}
OPEN_CASE_OF_D02 = (
    "SELECT i.code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat FROM incident i "
    "JOIN area q ON q.id = i.queue_area_id JOIN department d ON d.id = i.department_id "
    "WHERE d.code = 'D02' AND q.code LIKE '150621001%' "
    "AND i.status NOT IN ('closed', 'evaluated', 'void') "
    "AND NOT EXISTS (SELECT 1 FROM whistle w WHERE w.incident_id = i.id) "
    "ORDER BY i.id LIMIT 1"
)
DISPUTE = (
    "SELECT i.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
    "WHERE i.category_code LIKE '01%' AND q.code LIKE '150621001%' ORDER BY i.id LIMIT 1"
)


def test_the_index_links_a_department_to_its_summons_and_a_mediator_to_the_file(
    client, auth
) -> None:
    department = client.get("/maps/", headers=auth("department")).text
    assert '<a class="nav-link wg-summons-link" href="/maps/field">部门报到</a>' in department
    assert 'action="/maps/mediation"' not in department
    mediator = client.get("/maps/", headers=auth("mediator")).text
    assert 'action="/maps/mediation"' in mediator and ">调解</label>" in mediator
    assert 'name="case" required' in mediator and "部门报到" not in mediator
    township = client.get("/maps/", headers=auth("township")).text
    assert "部门报到" not in township and 'action="/maps/mediation"' not in township


def test_a_township_blows_releases_and_scores_a_whistle_from_the_case_panel(
    browser: Browser, live_server, database, accounts, client, auth, engine, request
) -> None:
    with engine.connect() as conn:
        case = conn.execute(text(OPEN_CASE_OF_D02)).one()
        dispute = conn.execute(text(DISPUTE)).scalar_one()
        before = conn.execute(text("SELECT coalesce(max(id), 0) FROM whistle")).scalar_one()
    suggested = client.get(
        "/api/v1/whistles/suggestion", params={"code": case.code}, headers=auth("township")
    ).json()
    assert suggested["lead_department"] == "D02"
    township = PageCheck(
        browser,
        live_server,
        session=tokens.issue(_settings(database), accounts["township"].id, "session").token,
        viewport=DESKTOP,
    )
    page = township.page
    try:
        township.goto("/maps/command")
        expect(page.locator("body[data-whistle-form=ready]")).to_be_attached()
        expect(page.locator(".wg-whistles[data-ready=true]")).to_be_attached()
        page.evaluate("code => window.wanggeState.showIncident(code)", case.code)
        section = page.locator(f".wg-case-whistles[data-code='{case.code}']")
        expect(section.locator("h3")).to_have_text("吹哨（0）")
        section.locator("button.wg-wh-blow").click()
        form = section.locator("form.wg-wh-blow-form")
        expect(form.locator("select[name=lead]")).to_have_value("D02")  # the suggestion
        checked = form.locator("[name=assisting]:checked")
        expect(checked).to_have_count(len(suggested["assisting_departments"]))
        assert set(checked.evaluate_all("xs => xs.map(x => x.value)")) == set(
            suggested["assisting_departments"]
        )
        expect(form.locator("[name=assisting][value=D02]")).to_be_disabled()  # the 主办
        expect(form.locator("select[name=meeting]")).to_have_value("point")
        form.locator("select[name=kind]").select_option("emergency")
        form.locator("textarea[name=reason]").fill("面板吹哨测试：联合处置")
        page.screenshot(path=SCREENSHOTS / screenshot_name(request.node.name + "-form"))
        form.locator("button[type=submit]").click()
        expect(section.locator(".wg-notice")).to_have_text("已吹哨，等待部门报到")
        box = section.locator(".wg-case-whistle")
        expect(box).to_have_attribute("data-status", "open")
        whistle = int(box.get_attribute("data-whistle") or 0)
        assert whistle > before
        layer = page.locator(f".wg-whistles .wg-wh-item[data-whistle='{whistle}']")
        expect(layer).to_be_visible()  # on the map's whistle layer
        expect(page.locator(".wg-wh-marker")).not_to_have_count(0)
        arrived = client.post(
            f"/api/v1/whistles/{whistle}/check-ins",
            json={"lon": case.lon, "lat": case.lat, "datum": "cgcs2000", "accuracy": 20},
            headers=auth("department"),
        )
        assert arrived.status_code == 201, arrived.text
        expect(layer.locator(".wg-wh-dept[data-dept=D02]")).to_have_attribute(
            "data-state", "arrived"
        )
        # the panel too, live from the stream
        expect(box.locator(".wg-wh-depts li[data-dept=D02]")).to_have_attribute(
            "data-state", "arrived"
        )
        page.screenshot(path=SCREENSHOTS / screenshot_name(request.node.name + "-blown"))
        box.locator("button.wg-wh-release").click()
        expect(section.locator(".wg-notice")).to_have_text("已解哨，可为到场部门评分")
        expect(box).to_have_attribute("data-status", "released")
        expect(layer).to_have_count(0)  # a released whistle leaves the layer
        box.locator("button.wg-wh-score").click()
        scoring = box.locator("form.wg-wh-score-form")
        expect(scoring.locator("fieldset")).to_have_count(1)  # only D02 came
        for name, value in (("efficiency", "90"), ("handling", "80"), ("satisfaction", "70")):
            scoring.locator(f"fieldset[data-dept=D02] input[name={name}]").fill(value)
        scoring.locator("textarea[name=reason]").fill("到场及时，处置得力")
        scoring.locator("button[type=submit]").click()
        expect(section.locator(".wg-notice")).to_have_text("评分已提交")
        expect(box.locator(".wg-wh-scores li")).to_have_text(
            [
                "达拉特旗司法局 报到效率 90 分",
                "达拉特旗司法局 办理情况 80 分",
                "达拉特旗司法局 结果满意度 70 分",
            ]
        )
        expect(box.locator("button.wg-wh-score")).to_have_count(0)
        page.screenshot(path=SCREENSHOTS / screenshot_name(request.node.name + "-scored"))

        page.evaluate("code => window.wanggeState.showIncident(code)", dispute)
        link = page.locator(f".wg-case-whistles[data-code='{dispute}'] a.wg-mediation-file")
        expect(link).to_have_attribute("href", f"/maps/mediation?case={dispute}")
        expect(link).to_have_text("调解卷宗")
        words = set(re.findall(r"[A-Za-z]+", page.evaluate("document.body.innerText")))
        assert words - {"DLT", "km", "m"} == set(), words  # Chinese only
        township.assert_clean()
    finally:
        township.close(SCREENSHOTS / screenshot_name(request.node.name))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT w.kind, w.reason, w.blown_by, w.blown_role, w.released_by, "
                "w.released_at IS NOT NULL AS released, w.meeting_geom IS NOT NULL AS meeting, "
                "i.code FROM whistle w JOIN incident i ON i.id = w.incident_id WHERE w.id = :w"
            ),
            {"w": whistle},
        ).one()
        summoned = conn.execute(
            text(
                "SELECT d.code, wd.lead FROM whistle_department wd "
                "JOIN department d ON d.id = wd.department_id WHERE wd.whistle_id = :w "
                "ORDER BY wd.lead DESC, d.code"
            ),
            {"w": whistle},
        ).all()
        scored = conn.execute(
            text(
                "SELECT department_code, criterion, score, reason, by FROM whistle_score "
                "WHERE whistle_id = :w ORDER BY criterion"
            ),
            {"w": whistle},
        ).all()
    assert tuple(row) == (
        "emergency", "面板吹哨测试：联合处置", "township", "township", "township", True, True,
        case.code,
    )  # fmt: skip
    assert [tuple(s) for s in summoned] == [("D02", True)] + [
        (c, False) for c in sorted(suggested["assisting_departments"])
    ]
    assert [tuple(s) for s in scored] == [
        ("D02", "efficiency", 90, "到场及时，处置得力", "township"),
        ("D02", "handling", 80, "到场及时，处置得力", "township"),
        ("D02", "satisfaction", 70, "到场及时，处置得力", "township"),
    ]


def test_the_suggestion_names_the_field_and_refuses_who_may_not_blow(client, auth, engine) -> None:
    with engine.connect() as conn:
        case = conn.execute(text(OPEN_CASE_OF_D02)).one()
        elsewhere = conn.execute(
            text(
                "SELECT i.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
                "WHERE q.code NOT LIKE '150621001%' ORDER BY i.id LIMIT 1"
            )
        ).scalar_one()
    url = "/api/v1/whistles/suggestion"
    ok = client.get(url, params={"code": case.code}, headers=auth("command"))
    assert ok.status_code == 200 and ok.json()["lead_department"] == "D02"
    assert ok.json()["point"] == {"lon": case.lon, "lat": case.lat}
    assert "D02" not in ok.json()["assisting_departments"]
    missing = client.get(url, headers=auth("township"))
    assert missing.status_code == 422 and "code" in missing.text
    assert (
        client.get(url, params={"code": case.code}, headers=auth("grid_worker")).status_code == 403
    )
    outside = client.get(url, params={"code": elsewhere}, headers=auth("township"))
    assert outside.status_code == 404
