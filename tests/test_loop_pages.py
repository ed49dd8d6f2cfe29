"""The closed loop's pages as HTML: the field and command pages load the shared actions script
between common.js and their own, and carry every action of the transition table with its
Chinese label and the fields its form asks for; the command page carries the 时限督办 filter
with the list API's parameters."""

from __future__ import annotations

import json
import re

from sqlalchemy import text

from cases.loop.table import ACTIONS

SCRIPTS = re.compile(r"""<script src=["'](/static/wangge/[^"']+)["']""")


def _config(html: str, entry: str) -> dict:
    """The JSON config the page hands to ``entry(map, config)``."""
    start = html.index(entry + "(") + len(entry) + 1
    payload = html[html.index(", ", start) + 2 : html.index(");\n", start)]
    return json.loads(payload)


def test_field_and_command_pages_load_actions_js_with_the_table(client, engine) -> None:
    with engine.connect() as conn:
        member = conn.execute(
            text("SELECT min(id) FROM member WHERE kind = 'grid_worker'")
        ).scalar_one()
    pages = {
        "wanggeField": client.get("/maps/field", params={"member": member}),
        "wanggeCommand": client.get("/maps/command"),
    }
    for entry, page in pages.items():
        assert page.status_code == 200
        own = "/static/wangge/field.js" if entry == "wanggeField" else "/static/wangge/command.js"
        scripts = [s for s in SCRIPTS.findall(page.text) if s != "/static/wangge/report.js"]
        assert scripts == ["/static/wangge/common.js", "/static/wangge/actions.js", own]
        assert client.get("/static/wangge/actions.js").status_code == 200
        specs = _config(page.text, entry)["actions"]
        assert set(specs) == set(ACTIONS) and len(specs) == 19
        assert specs["accept"] == {"label": "受理", "needs": []}
        assert specs["self_handle"] == {"label": "自行处置", "needs": ["attachments", "lon"]}
        assert specs["handle"] == {"label": "处置完成", "needs": ["reason", "attachments"]}
        assert specs["dispatch"] == {"label": "派遣", "needs": ["department_code"]}
    command = _config(pages["wanggeCommand"].text, "wanggeCommand")
    assert [(f["value"], f["label"], f["param"], f["arg"]) for f in command["deadlineFilters"]] == [
        ("", "全部", None, None),
        ("soon", "即将到期", "due", "soon"),
        ("overdue", "已超期", "due", "overdue"),
        ("yellow", "黄牌督办", "card", "yellow"),
        ("red", "红牌督办", "card", "red"),
    ]
    # every filter the page offers is one the list API takes
    for f in command["deadlineFilters"][1:]:
        answer = client.get("/api/v1/incidents", params={f["param"]: f["arg"], "limit": 1})
        assert answer.status_code == 200, answer.text
