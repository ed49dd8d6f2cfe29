"""The ladder's limits and rules (WORKFLOW.md §5.1–5.3), stated once.

The limits are data (table ``mediation_limit``: village 3 attempts of ≤ 2 WD each, township
2 of ≤ 2 WD, banner 1 of ≤ 7 WD, the whole ladder ≤ 30 days). The rung a dispute stands on
is the level holding its case: a case held below the village (micro-grid, grid) is lifted to
the village when its file is opened, and every climb is the closed loop's ``escalate``, so
``incident.level`` and the ladder never disagree.

A dispute climbs one rung when an attempt ends unsettled and the rung's attempts are used up,
a party refuses further mediation there, the attempt came after its deadline, or the risk is
red; a skip rule (red risk, or a party that is a unit the village cannot bind) climbs at once.

Examples
--------
>>> rung_of("micro_grid"), rung_of("township"), rung_above("township"), rung_above("banner")
('village', 'township', 'banner', None)
>>> village = Limit(3, Decimal(2), "work_days")
>>> rule = dict(refused=False, late=False, risk="green")
>>> climb_reason("village", village, used=3, outcome="not_settled", **rule)
'村级3次调解未成'
>>> climb_reason("village", village, used=1, outcome="not_settled", **{**rule, "refused": True})
'当事人拒绝在村级继续调解'
>>> climb_reason("village", village, used=1, outcome="settled", **{**rule, "risk": "red"}) is None
True
>>> sorted(acting_rungs(Role.MEDIATOR, "village")), sorted(acting_rungs(Role.COMMAND, None))
(['village'], ['banner'])
>>> sorted(acting_rungs(Role.TOWNSHIP, "township")), sorted(acting_rungs(Role.ADMIN, None))
(['township'], ['banner', 'township', 'village'])
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from access.accounts import Role
from cases.loop import table
from cases.mediation.sql import query

#: The rungs, lowest first.
RUNGS = ("village", "township", "banner")
RUNG_LABELS = {"village": "村", "township": "镇", "banner": "旗"}
#: The case levels the village rung holds (lifted to the village when the file opens).
BELOW_VILLAGE = ("micro_grid", "grid")
OUTCOMES = (
    "settled",
    "partly",
    "not_settled",
    "withdrawn",
    "to_court",
    "to_administration",
    "to_petitions",
)
OUTCOME_LABELS = {
    "settled": "调解成功",
    "partly": "部分达成",
    "not_settled": "未达成",
    "withdrawn": "撤回",
    "to_court": "转诉讼",
    "to_administration": "转行政处理",
    "to_petitions": "转信访",
}
#: Outcomes that end the ladder (only ``not_settled`` goes on, or climbs).
ENDING = tuple(o for o in OUTCOMES if o != "not_settled")
#: Outcomes an agreement may follow.
AGREED = ("settled", "partly")
SOURCES = ("application", "own_initiative", "police", "court", "government")
RISKS = ("green", "yellow", "red")
SKIP_REASONS = ("red_risk", "unit_party")
#: Disputes whose detail only the mediators and the level holding the case see (§5.7).
PRIVATE_CATEGORIES = ("0101", "0102")
#: Judicial confirmation is due this many days after the agreement takes effect (§5.5).
CONFIRMATION_DAYS = 30


@dataclass(frozen=True)
class Limit:
    """A rung's attempts and each attempt's deadline (``ladder``: no attempts, days overall)."""

    max_attempts: int | None
    amount: Decimal
    unit: str


def limits(conn: Connection) -> dict[str, Limit]:
    """The limits by level, and ``ladder`` for the whole ladder."""
    return {
        r.level: Limit(r.max_attempts, Decimal(r.amount), r.unit)
        for r in conn.execute(query("limits"))
    }


def rung_of(level: str) -> str:
    """The rung holding a case held at ``level``."""
    return "village" if level in BELOW_VILLAGE else level


def rung_above(rung: str) -> str | None:
    at = RUNGS.index(rung)
    return RUNGS[at + 1] if at + 1 < len(RUNGS) else None


def climb_reason(
    rung: str, limit: Limit, *, used: int, outcome: str, refused: bool, late: bool, risk: str
) -> str | None:
    """Why an attempt on ``rung`` ending in ``outcome`` moves the dispute up (§5.3), or None:
    it stays. ``used`` counts the rung's attempts including this one."""
    if outcome != "not_settled":
        return None
    label = RUNG_LABELS[rung] + "级"
    if risk == "red":
        return "矛盾有激化风险（红色），立即上提一级"
    if refused:
        return f"当事人拒绝在{label}继续调解"
    if late:
        return f"{label}调解超过期限"
    if limit.max_attempts is not None and used >= limit.max_attempts:
        return f"{label}{limit.max_attempts}次调解未成"
    return None


def acting_rungs(role: Role, area_level: str | None) -> frozenset[str]:
    """The rungs on which ``role`` (its scope an area at ``area_level``, None: the banner)
    records attempts: the level holding the case acts (:func:`cases.loop.table.holds`), the
    command seat only at the banner (it holds every level for the loop's filing and
    dispatching, but mediates only the banner's 终调)."""
    if role is Role.COMMAND:
        return frozenset({"banner"})
    return frozenset(
        r for r in RUNGS if role in table.LEVEL_BOUND and table.holds(role, area_level, r)
    )


#: Who reads the file of a dispute that is not private, inside their scope.
READERS = frozenset({Role.ADMIN, Role.COMMAND, Role.TOWNSHIP, Role.MEDIATOR, Role.GRID_WORKER})


def may_read(role: Role, area_level: str | None, category_code: str, level: str) -> bool:
    """Whether ``role`` (scoped at ``area_level``, its scope holding the case) reads the file
    of a dispute of ``category_code`` held at ``level``: a family or neighbour dispute only
    the mediators and the level holding it or one above it in the chain
    (:func:`cases.loop.table.holds` at ``level`` or higher: a township officer reads the
    disputes of its villages, a grid worker no longer once the dispute left the grid), any
    other dispute the readers.

    >>> may_read(Role.TOWNSHIP, "township", "0101", "village")
    True
    >>> may_read(Role.GRID_WORKER, "grid", "0101", "village")
    False
    >>> may_read(Role.DEPARTMENT, None, "0103", "village")
    False
    >>> may_read(Role.MEDIATOR, "village", "0102", "banner")
    True
    """
    if role is Role.MEDIATOR:
        return True
    if category_code in PRIVATE_CATEGORIES:
        chain = table.LEVELS[table.LEVELS.index(level) :]
        return role in table.LEVEL_BOUND and any(table.holds(role, area_level, lv) for lv in chain)
    return role in READERS
