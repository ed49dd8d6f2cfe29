"""一哨一考核: after the release the whistler scores each attending department on 报到效率,
办理情况 and 结果满意度, 0–100 each with a reason (WORKFLOW.md §3.6). Rows of ``whistle_score``
are append-only; the quarterly rankings read them. Every item is checked before any is
written: one wrong item refuses the whole request (422 naming ``scores.<n>.<field>``), a
department scored twice on a criterion is 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from access import audit
from cases.errors import ActionNotAllowed
from cases.loop.actions import Caller
from cases.whistle import read
from cases.whistle.attend import _lock, may_oversee
from cases.whistle.rules import CRITERIA, MAX_REASON, text_field
from cases.whistle.sql import query
from geo.errors import InvalidInput
from geo.privacy import mask_strings

MAX_ITEMS = 3 * 9


def _item(i: int, item: Any, attended: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidInput(f"scores.{i}", "must be an object")
    code = item.get("department_code")
    if code not in attended:
        raise InvalidInput(
            f"scores.{i}.department_code", f"{code!r} is not a department that came on site"
        )
    if item.get("criterion") not in CRITERIA:
        raise InvalidInput(f"scores.{i}.criterion", f"must be one of {', '.join(CRITERIA)}")
    score = item.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise InvalidInput(f"scores.{i}.score", f"must be a whole number 0-100, got {score!r}")
    reason = text_field({"r": item.get("reason")}, "r", MAX_REASON, required=False)
    if reason is None:
        raise InvalidInput(f"scores.{i}.reason", "is required")
    return {
        "department_code": code,
        "criterion": item["criterion"],
        "score": score,
        "reason": reason,
    }


def score(
    conn: Connection, caller: Caller, whistle_id: int, items: Any, at: datetime | None = None
) -> dict[str, Any]:
    """Record the scores ``items`` (``[{department_code, criterion, score, reason}]``); the
    whistle with its scores."""
    row = _lock(conn, caller, whistle_id)
    may_oversee(caller, row, "score")
    if row.released_at is None:
        raise ActionNotAllowed(
            f"whistle {row.id} is not released yet: score after the release",
            status="open",
            allowed=["release"],
        )
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
        raise InvalidInput("scores", f"must be a list of 1-{MAX_ITEMS} scores")
    view = read.whistle(conn, row.id)
    attended = {d["code"] for d in view["departments"] if d["arrived_at"] is not None}
    checked = [_item(i, item, attended) for i, item in enumerate(items)]
    when = at or row.now
    for i, item in enumerate(checked):
        params = item | {"whistle_id": row.id, "by": caller.actor.username, "at": when}
        if conn.execute(query("whistle_score_insert"), params).scalar_one_or_none() is None:
            raise ActionNotAllowed(
                f"scores.{i}: {item['department_code']} already has a {item['criterion']} score "
                f"on whistle {row.id}",
                status="scored",
                allowed=[],
            )
    audited = mask_strings(checked)
    audit.record(conn, caller.actor, "whistle.score", "whistle", row.id, after=audited)
    return read.whistle(conn, row.id)
