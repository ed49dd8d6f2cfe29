"""Family and neighbour disputes in detail only to the mediators and the level holding the
case, or one above it in its chain of command (WORKFLOW.md §5.7; the rule is
:func:`cases.mediation.ladder.may_read`): everyone else who sees the case sees that it
exists, where it is queued and how it moves, never what the parties said.

The mediation file itself answers 404 to them (:func:`cases.mediation.common.case_for`); an
incident as the incident routes answer it goes through :func:`redacted` (its description,
reporter, media and the reasons written on its trail are withheld). Maps, tiles and the heat
layer only ever count incidents.

Examples
--------
>>> from types import SimpleNamespace
>>> from geo.scope import Scope
>>> case = {"category": {"code": "0102"}, "level": "village", "description": "家事",
...         "reporter": {"name": "张*"}, "media": ["x"], "events": [{"reason": "口角"}]}
>>> department = SimpleNamespace(role=Role.DEPARTMENT, scope=Scope(department="D02"))
>>> redacted(case, department)["description"], redacted(case, department)["events"]
('（婚姻家庭、邻里纠纷，详情仅调解员和承办层级可见）', [{'reason': None}])
>>> mediator = SimpleNamespace(role=Role.MEDIATOR, scope=Scope(area_prefix="150621001001"))
>>> redacted(case, mediator) is case
True
"""

from __future__ import annotations

from typing import Any

from access.accounts import Role
from cases.loop.table import scope_level
from cases.mediation.ladder import PRIVATE_CATEGORIES, may_read

WITHHELD = "（婚姻家庭、邻里纠纷，详情仅调解员和承办层级可见）"

__all__ = ["WITHHELD", "Role", "redacted"]


def redacted(incident: dict[str, Any], principal: Any) -> dict[str, Any]:
    """``incident`` (a view of :mod:`cases.views`) as ``principal`` may see it."""
    code = incident["category"]["code"]
    if code not in PRIVATE_CATEGORIES:
        return incident
    if may_read(principal.role, scope_level(principal), code, incident["level"]):
        return incident
    out = {**incident, "description": WITHHELD, "reporter": None, "media": []}
    if incident.get("events") is not None:
        out["events"] = [{**e, "reason": None} for e in incident["events"]]
    return out
