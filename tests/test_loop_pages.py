"""The closed loop's pages as HTML, before any browser runs them (test_loop_browser.py does):
the field and command pages load the shared actions script between common.js and their own,
and carry every action of the transition table with its Chinese label and the fields its form
asks for; the command page carries its case panel's script, the 时限督办 filters as the list
API's parameters, the roles' Chinese names and the routing matrix's departments."""

from __future__ import annotations

import json
import re

from sqlalchemy import text

from access.accounts import ROLE_LABELS, Role
from cases.loop.table import ACTIONS

SCRIPTS = re.compile(r"""<script src=["'](/static/wangge/[^"']+)["']""")


def _config(html: str, entry: str) -> dict:
    """The JSON config the page hands to ``entry(map, config)``."""
    found = re.search(entry + r"\((map_\w+), (\{.*\})\);", html)
    assert found, f"the page calls {entry}(map, config)"
    return json.loads(found.group(2))


def test_field_and_command_pages_load_actions_js_with_the_table(client, engine) -> None:
    with engine.connect() as conn:
        member = conn.execute(
            text("SELECT min(id) FROM member WHERE kind = 'grid_worker'")
        ).scalar_one()
    pages = {
        "wanggeField": client.get("/maps/field", params={"member": member}),
        "wanggeCommand": client.get("/maps/command"),
    }
    own = {
        "wanggeField": ["/static/wangge/field.js"],
        "wanggeCommand": ["/static/wangge/command.js"],
    }
    extra = {
        "/static/wangge/report.js",
        "/static/wangge/command-live.js",
        "/static/wangge/command-whistle.js",
        "/static/wangge/command-whistle-form.js",
        "/static/wangge/command-coverage.js",
        "/static/wangge/command-cobuild.js",
        "/static/wangge/field-visit.js",
    }
    for entry, page in pages.items():
        assert page.status_code == 200
        scripts = [s for s in SCRIPTS.findall(page.text) if s not in extra]
        if entry == "wanggeCommand":
            assert scripts[0] == "/static/wangge/command-case.js"
            scripts = scripts[1:]
        assert scripts == ["/static/wangge/common.js", "/static/wangge/actions.js", *own[entry]]
        specs = _config(page.text, entry)["actions"]
        assert set(specs) == set(ACTIONS) and len(specs) == 19
        assert specs["accept"] == {"label": "受理", "needs": []}
        assert specs["self_handle"] == {"label": "自行处置", "needs": ["attachments", "lon"]}
        assert specs["dispatch"] == {"label": "派遣", "needs": ["department_code"]}
    for script in ("actions.js", "command-case.js"):
        assert client.get(f"/static/wangge/{script}").status_code == 200


def test_command_page_carries_the_supervision_filters_roles_and_departments(client, engine) -> None:
    config = _config(client.get("/maps/command").text, "wanggeCommand")
    filters = [(f["value"], f["label"], f["param"], f["arg"]) for f in config["supervisionFilters"]]
    assert filters == [
        ("soon", "即将到期", "due", "soon"),
        ("overdue", "已超期", "due", "overdue"),
        ("yellow", "黄牌", "card", "yellow"),
        ("red", "红牌", "card", "red"),
    ]
    for f in config["supervisionFilters"]:  # each one the list API takes
        answer = client.get("/api/v1/incidents", params={f["param"]: f["arg"], "limit": 1})
        assert answer.status_code == 200, answer.text
    assert config["roles"] == {r.value: ROLE_LABELS[r] for r in Role}
    assert config["roles"]["grid_worker"] == "网格员"
    with engine.connect() as conn:
        named = dict(
            conn.execute(
                text(
                    "SELECT d.code, d.name FROM department d WHERE d.id IN ("
                    "SELECT department_id FROM category WHERE parent_code IS NOT NULL "
                    "UNION SELECT department_id FROM routing_override) ORDER BY d.code"
                )
            ).all()
        )
    assert config["departments"] == named
    assert config["departments"]["D02"] == "达拉特旗司法局"
