"""Visit cadence: the member's "my area" and the supervision sweep's routine reminders.

Each household is due a contact every ``visit_every_days`` of its strictest tag (table
``tag_kind``, data: ordinary households 182 days, low-income, migrant, elderly living alone,
community correction 30), and each micro-grid one contact a week. "My area" lists a member's
households overdue first; :func:`sweep_routines`, called by the one supervision sweep
(:func:`cases.loop.supervision.sweep`), reminds each grid worker and party member with
overdue routines once per China day (table ``routine_reminder``, keyed by member and day):
one reminder per member, never one per household.

Tags marked P3 (special populations, health) appear only when the caller is allowed them
(``p3``); their cadence counts either way, so a household can be overdue without its reason
being shown.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from access.accounts import Role
from cases.codes import TIMEZONE
from cases.routines.coverage import share
from cases.routines.sql import query
from cases.routines.visits import Member
from geo.areas import current_generation
from geo.errors import Forbidden
from geo.privacy import mask_name

#: The roles whose duty needs P3 tags (special populations, health) on "my area": the grid
#: worker who visits them, and the administrator.
P3_ROLES = frozenset({Role.ADMIN, Role.GRID_WORKER})


def sees_p3(role: Role) -> bool:
    """Whether ``role`` is shown P3 tags.

    >>> sees_p3(Role.GRID_WORKER), sees_p3(Role.PARTY_MEMBER)
    (True, False)
    """
    return role in P3_ROLES


def my_area(
    conn: Connection, who: Member, generation: int, *, p3: bool, now: datetime | None = None
) -> dict[str, Any]:
    """The member's micro-grids (coverage figures) and households, overdue first."""
    if who.member_id is None:
        raise Forbidden("only the account of a member (grid worker, party member) has an area")
    area = conn.execute(query("member_area"), {"id": who.member_id}).scalar_one_or_none()
    if area is None:
        raise Forbidden(f"member {who.member_id} of this account does not exist")
    now = now or datetime.now(UTC)
    params = {"member_area": area, "g": generation, "now": now, **who.scope.params()}
    grids = {
        r.code: {
            "code": r.code,
            "name": r.name,
            "households": r.households,
            "claimed_share": share(r.claimed, r.households),
            "visited_share": share(r.visited, r.households),
            "overdue": r.overdue,
            "members": r.members,
            "last_contact": r.last_contact.isoformat() if r.last_contact else None,
            "uncovered": r.uncovered,
            "household_list": [],
        }
        for r in conn.execute(query("micro_grid_contacts"), params)
    }
    for r in conn.execute(query("my_area"), params):
        grids[r.micro_grid]["household_list"].append(_household(r, p3))
    return {
        "member_id": who.member_id,
        "area_code": area,
        "at": now.isoformat(),
        "micro_grids": list(grids.values()),
    }


def _household(r: Any, p3: bool) -> dict[str, Any]:
    return {
        "code": r.code,
        "house": r.house_name,
        "head": mask_name(r.head_name),
        "responsible": None
        if r.claimed_by_id is None
        else {"id": r.claimed_by_id, "name": mask_name(r.claimed_by_name)},
        "tags": sorted(
            ({"tag": t["tag"], "label": t["label"]} for t in r.tags if p3 or t["mark"] != "P3"),
            key=lambda t: t["tag"],
        ),
        "every_days": r.every_days,
        "last_contact": r.seen_at.isoformat() if r.seen_at else None,
        "due_at": r.due_at.isoformat() if r.due_at else None,
        "overdue": r.overdue,
    }


def sweep_routines(conn: Connection, now: datetime) -> Counter[str]:
    """Remind every member with overdue routines, once per China day: ``routine_reminder``
    counted. Inside the supervision sweep's transaction (and its lock)."""
    day = now.astimezone(ZoneInfo(TIMEZONE)).date()
    if conn.execute(query("reminded_today"), {"day": day}).scalar_one():
        return Counter()
    params = {"day": day, "now": now, "g": current_generation(conn)}
    reminded = conn.execute(query("routine_reminders"), params).all()
    return Counter({"routine_reminder": len(reminded)})
