"""The transition table of WORKFLOW.md §1 as data: who may take which action from which state,
what it needs and what it sets.

Each :class:`Action` names the states it may be taken from (``from_states``), the roles that
may take it (``roles``, within their scope: the query layer's scope rule decides "the unit that
holds the case"), what the request must carry (``needs``), the state it leads to (``to``; None:
the status stays, an attribute changes) and its side effects (``effects``, read by
:mod:`cases.loop.actions`). :func:`allowed_actions` is the one place the table is read to say
what a caller may do now; the action endpoint refuses anything it does not list.

Examples
--------
>>> ACTIONS["accept"].label, sorted(r.value for r in ACTIONS["accept"].roles)
('受理', ['admin', 'command', 'grid_worker'])
>>> ACTIONS["dispatch"].to.value, sorted(s.value for s in ACTIONS["dispatch"].from_states)
('dispatched', ['filed', 'returned'])
>>> next_level("micro_grid"), next_level("township"), next_level("banner")
('grid', 'banner', None)
>>> allowed_actions(Role.DEPARTMENT, {"status": "dispatched", "delay_state": "none",
...     "reopened_count": 0, "level": "micro_grid", "sensitive": False})
['sign', 'return']
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from access.accounts import SCOPE_LEVELS, Role
from cases.models import IncidentStatus as S
from geo.places import COUNTY_DIGITS

#: The levels that may hold a case, lowest first; escalation climbs one at a time.
LEVELS = ("micro_grid", "grid", "village", "township", "banner")
#: Who holds a case at each level (WORKFLOW.md §1 rule 1: only the unit that holds the case
#: acts on it): the roles that act on it there as its holder, each with the area level its
#: account must be scoped at (None: the whole banner). The command seat is the banner's desk
#: that files, dispatches and supervises for every level, so it holds at each of them; a grid
#: worker holds only while the case stays in the grid, a township account only while the case
#: is at its village (a village-scoped account) or at the township. Roles named nowhere here
#: (department, party member) never hold by level: they act as the unit a case was dispatched
#: to or as its reporter (an action's ``anywhere``).
HOLDERS: dict[str, dict[Role, str | None]] = {
    "micro_grid": {Role.GRID_WORKER: "grid", Role.COMMAND: None, Role.ADMIN: None},
    "grid": {Role.GRID_WORKER: "grid", Role.COMMAND: None, Role.ADMIN: None},
    "village": {
        Role.TOWNSHIP: "village", Role.MEDIATOR: "village", Role.COMMAND: None, Role.ADMIN: None
    },
    "township": {
        Role.TOWNSHIP: "township", Role.MEDIATOR: "township", Role.COMMAND: None, Role.ADMIN: None
    },
    "banner": {Role.COMMAND: None, Role.MEDIATOR: None, Role.ADMIN: None},
}  # fmt: skip
#: The roles bound by the level that holds a case.
LEVEL_BOUND = frozenset(role for holders in HOLDERS.values() for role in holders)
#: The area level of an account's scope, by the length of its area code (hierarchical codes:
#: township 9 digits, village 12, grid 14, micro-grid 16; no code, a banner's 6 digits or a
#: province's or city's prefix: the banner's desk, None). A code of another length holds at no
#: level.
SCOPE_LEVEL_BY_LENGTH = {9: "township", 12: "village", 14: "grid", 16: "micro_grid"}
#: Reasons a dispute (category 01) skips up at once (WORKFLOW.md §5.1): its risk is red, or a
#: party is a unit the lower level cannot bind.
SKIP_REASONS = ("red_risk", "unit_party")
#: An applied delay is at most this many working days (WORKFLOW.md §1).
MAX_DELAY_DAYS = 10
#: The third hand-over of a returned case moves it to the level above (WORKFLOW.md §1).
TRANSFERS_BEFORE_ESCALATION = 3
EVALUATIONS = ("satisfied", "basically_satisfied", "dissatisfied")
CARDS = ("yellow", "red")


class Need(enum.StrEnum):
    """What an action's request must carry (each a body field, checked in this order)."""

    REASON = "reason"  # a non-empty reason
    DEPARTMENT = "department_code"  # the department it goes to
    PHOTOS = "attachments"  # at least one photo uploaded by the caller for this case
    LOCATION = "lon"  # where the caller stands (lon, lat, datum)
    EVALUATION = "evaluation"  # satisfied | basically_satisfied | dissatisfied
    DELAY_DAYS = "delay_days"  # 1 … MAX_DELAY_DAYS working days
    APPROVE = "approve"  # true or false
    CARD = "card"  # yellow | red


class Effect(enum.StrEnum):
    """What an action sets besides the status (see :mod:`cases.loop.actions`)."""

    START_HANDLING = "start_handling"  # the handling clock starts at dispatch
    COUNT_TRANSFER = "count_transfer"  # a re-dispatch of a returned case
    RESTART_HANDLING = "restart_handling"  # rework / reopened: the handling limit restarts
    HANG = "hang"  # the clock stops
    RESUME = "resume"  # the clock goes on where it stopped
    CLOSE = "close"  # closed_level = the level holding it
    APPLY_DELAY = "apply_delay"
    DECIDE_DELAY = "decide_delay"
    ESCALATE = "escalate"  # level one up
    EVALUATE = "evaluate"
    REOPEN = "reopen"  # once only, for a dissatisfied reporter
    CARD = "card"
    VERIFY = "verify"  # pass → closed, fail → rework


_COMMAND = frozenset({Role.COMMAND, Role.ADMIN})
_FIELD = _COMMAND | {Role.GRID_WORKER}
_HOLDER = frozenset({Role.DEPARTMENT, Role.TOWNSHIP})
_OPEN_HELD = frozenset({S.ACCEPTED, S.FILED, S.RETURNED, S.IN_PROGRESS, S.HUNG, S.REWORK})


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    from_states: frozenset[S]
    roles: frozenset[Role]
    to: S | None
    needs: tuple[Need, ...] = ()
    effects: tuple[Effect, ...] = ()
    #: Extra conditions on the case, by name (see :data:`GUARDS`).
    guards: tuple[str, ...] = field(default=())
    #: The roles that take this action whatever level holds the case, because they act as
    #: something other than its holder: the unit it was dispatched to, the micro-grid's own
    #: check on site, the reporter or the call-back.
    anywhere: frozenset[Role] = field(default=frozenset())


def _a(
    name: str,
    label: str,
    from_states: set[S],
    roles: frozenset[Role] | set[Role],
    to: S | None,
    needs: tuple[Need, ...] = (),
    effects: tuple[Effect, ...] = (),
    guards: tuple[str, ...] = (),
    anywhere: frozenset[Role] | set[Role] = frozenset(),
) -> Action:
    return Action(
        name,
        label,
        frozenset(from_states),
        frozenset(roles),
        to,
        needs,
        effects,
        guards,
        frozenset(anywhere),
    )


N, E = Need, Effect
#: The table, in the order a case meets the actions.
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("accept", "受理", {S.REPORTED}, _FIELD, S.ACCEPTED),
        _a("void", "不予立案", {S.REPORTED, S.ACCEPTED}, _FIELD, S.VOID, (N.REASON,)),
        _a("request_check", "要求核实", {S.ACCEPTED}, _COMMAND, S.REPORTED, (N.REASON,)),
        _a("file", "立案", {S.ACCEPTED}, _COMMAND, S.FILED),
        _a(
            "self_handle",
            "自行处置",
            {S.ACCEPTED, S.FILED},
            {Role.GRID_WORKER},
            S.CLOSED,
            (N.PHOTOS, N.LOCATION),
            (E.CLOSE,),
            ("not_sensitive",),
        ),
        _a(
            "dispatch",
            "派遣",
            {S.FILED, S.RETURNED},
            _COMMAND,
            S.DISPATCHED,
            (N.DEPARTMENT,),
            (E.START_HANDLING, E.COUNT_TRANSFER),
        ),
        _a("sign", "签收", {S.DISPATCHED}, _HOLDER, S.IN_PROGRESS, anywhere=_HOLDER),
        _a("return", "回退", {S.DISPATCHED}, _HOLDER, S.RETURNED, (N.REASON,), anywhere=_HOLDER),
        _a(
            "handle",
            "处置完成",
            {S.IN_PROGRESS},
            _HOLDER,
            S.HANDLED,
            (N.REASON, N.PHOTOS),
            anywhere=_HOLDER,
        ),
        _a(
            "hang",
            "挂账",
            {S.IN_PROGRESS, S.RETURNED},
            _HOLDER | _COMMAND,
            S.HUNG,
            (N.REASON,),
            (E.HANG,),
            anywhere=_HOLDER,
        ),
        _a(
            "resume",
            "恢复处置",
            {S.HUNG, S.REWORK, S.REOPENED},
            _COMMAND,
            S.IN_PROGRESS,
            (),
            (E.RESUME, E.RESTART_HANDLING),
        ),
        _a(
            "verify",
            "核查",
            {S.HANDLED},
            _FIELD,
            None,
            (N.APPROVE, N.LOCATION),
            (E.VERIFY,),
            anywhere={Role.GRID_WORKER},
        ),
        _a(
            "apply_delay",
            "申请延期",
            {S.IN_PROGRESS},
            _HOLDER,
            None,
            (N.REASON, N.DELAY_DAYS),
            (E.APPLY_DELAY,),
            ("no_delay_yet",),
            _HOLDER,
        ),
        _a(
            "decide_delay",
            "审批延期",
            {S.IN_PROGRESS},
            _COMMAND,
            None,
            (N.APPROVE,),
            (E.DECIDE_DELAY,),
            ("delay_applied",),
        ),
        _a(
            "escalate",
            "上报上级",
            set(_OPEN_HELD),
            _FIELD | {Role.TOWNSHIP, Role.MEDIATOR},
            None,
            (N.REASON,),
            (E.ESCALATE,),
            ("below_banner",),
        ),
        _a("close", "结案", {S.HUNG}, _COMMAND, S.CLOSED, (N.REASON,), (E.CLOSE,)),
        _a(
            "evaluate",
            "评价",
            {S.CLOSED},
            _COMMAND | {Role.PARTY_MEMBER, Role.GRID_WORKER},
            S.EVALUATED,
            (N.EVALUATION,),
            (E.EVALUATE,),
            anywhere={Role.GRID_WORKER},
        ),
        _a(
            "reopen",
            "发回重办",
            {S.CLOSED, S.EVALUATED},
            _COMMAND | {Role.PARTY_MEMBER, Role.GRID_WORKER},
            S.REOPENED,
            (N.REASON,),
            (E.REOPEN,),
            ("never_reopened", "dissatisfied"),
            {Role.GRID_WORKER},
        ),
        _a(
            "card",
            "督办亮牌",
            set(_OPEN_HELD) | {S.REPORTED, S.DISPATCHED, S.HANDLED, S.REOPENED},
            _COMMAND,
            None,
            (N.CARD, N.REASON),
            (E.CARD,),
        ),
    )
}
del N, E


def next_level(level: str) -> str | None:
    """The level above ``level``, or None at the banner."""
    at = LEVELS.index(level)
    return LEVELS[at + 1] if at + 1 < len(LEVELS) else None


#: Conditions beyond the status, on a case as a mapping (``status``, ``delay_state``,
#: ``reopened_count``, ``level``, ``sensitive``, ``evaluation``).
GUARDS: dict[str, Any] = {
    # A sensitive category (family disputes, drugs …) is never closed on the spot.
    "not_sensitive": lambda case: not case["sensitive"],
    "no_delay_yet": lambda case: case["delay_state"] == "none",
    "delay_applied": lambda case: case["delay_state"] == "applied",
    "below_banner": lambda case: next_level(case["level"]) is not None,
    "never_reopened": lambda case: case["reopened_count"] == 0,
    # From ``evaluated`` only a dissatisfied evaluation reopens; from ``closed`` the
    # call-back's evaluation comes with the request (checked as a requirement).
    "dissatisfied": lambda case: (
        case["status"] == S.CLOSED or case.get("evaluation") == "dissatisfied"
    ),
}


def scope_level(who: Role | str | Any) -> str | None:
    """The area level ``who`` (a principal with a ``scope``, or a bare role: the first level
    its accounts may serve) is scoped at; None for the whole banner.

    >>> scope_level(Role.TOWNSHIP), scope_level(Role.COMMAND), scope_level("grid_worker")
    ('township', None, 'grid')
    """
    scope = getattr(who, "scope", None)
    if scope is None:
        return SCOPE_LEVELS[Role(getattr(who, "role", who))][0]
    prefix = scope.area_prefix
    if prefix is None or len(prefix) <= COUNTY_DIGITS:  # a banner's desk, or a province's
        return None
    return SCOPE_LEVEL_BY_LENGTH.get(len(prefix), "unknown")


def holds(role: Role, level_of_scope: str | None, level: str) -> bool:
    """Whether an account of ``role`` scoped at ``level_of_scope`` holds a case held at
    ``level`` (a role bound by no level is never refused here).

    >>> holds(Role.GRID_WORKER, "grid", "grid"), holds(Role.GRID_WORKER, "grid", "village")
    (True, False)
    >>> holds(Role.TOWNSHIP, "village", "village"), holds(Role.TOWNSHIP, "township", "village")
    (True, False)
    >>> holds(Role.COMMAND, None, "township"), holds(Role.DEPARTMENT, None, "banner")
    (True, True)
    """
    if role not in LEVEL_BOUND:
        return True
    holders = HOLDERS[level]
    return role in holders and holders[role] == level_of_scope


def holders_of(level: str) -> str:
    """Who holds at ``level``, for a refusal's message.

    >>> holders_of("village")
    'township (scoped at village), mediator (scoped at village), command, admin'
    """
    return ", ".join(
        r.value if at is None or r == Role.GRID_WORKER else f"{r.value} (scoped at {at})"
        for r, at in HOLDERS[level].items()
    )


def state_allows(action: Action, case: Mapping[str, Any]) -> bool:
    """Whether the case's status and attributes allow ``action`` (roles aside)."""
    return S(case["status"]) in action.from_states and all(GUARDS[g](case) for g in action.guards)


def allowed_actions(who: Role | str | Any, case: Mapping[str, Any]) -> list[str]:
    """The actions ``who`` (a role, or a principal with a ``role`` and a ``scope``) may take
    on ``case`` now, the caller's scope already holding it: the table's roles and states, and
    the level that holds the case (:data:`HOLDERS`; a bare role is taken as scoped at its
    first level). ``case`` is a mapping of the columns the guards read, or an incident as
    :mod:`cases.views` shows it."""
    role = Role(getattr(who, "role", who))
    at = scope_level(who)
    if "sensitive" not in case:  # an incident view
        case = {**case, "sensitive": case["category"]["sensitive"]}
    return [
        name
        for name, action in ACTIONS.items()
        if role in action.roles
        and state_allows(action, case)
        and (role in action.anywhere or holds(role, at, case["level"]))
    ]


def action_list(names: list[str]) -> list[dict[str, str]]:
    """``[{"name", "label"}]`` of ``names``, as clients get them."""
    return [{"name": n, "label": ACTIONS[n].label} for n in names]


#: The step whose deadline the case is waiting on, by status (None: no step runs).
STEP_OF: dict[S, str | None] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "file",
    S.FILED: "dispatch",
    S.RETURNED: "dispatch",
    S.DISPATCHED: "sign",
    S.IN_PROGRESS: "handle",
    S.REWORK: "handle",
    S.REOPENED: "handle",
    S.HUNG: None,
    S.HANDLED: "verify",
    S.CLOSED: "evaluate",
    S.EVALUATED: None,
    S.VOID: None,
}


def with_loop(incident: dict[str, Any], role: Role | Any, now: datetime) -> dict[str, Any]:
    """``incident`` (a view of :mod:`cases.views`) plus the ``actions`` ``role`` (a role, or a
    principal: see :func:`allowed_actions`) may take on it
    now and ``deadlines``: the step it waits on, that step's deadline, the handling deadline
    and the seconds left (negative: late) to the step's deadline, or while no step has run
    yet to the handling deadline; None when no clock runs (hung, void, closed for good)."""
    status = S(incident["status"])
    incident["actions"] = action_list(allowed_actions(role, incident))
    step = STEP_OF[status]
    due = incident["step_due_at"] or (incident["deadline_at"] if status in _HANDLING else None)
    incident["deadlines"] = {
        "step": step,
        "step_due_at": incident["step_due_at"],
        "deadline_at": incident["deadline_at"],
        "remaining_s": (
            None if due is None else round((datetime.fromisoformat(due) - now).total_seconds())
        ),
    }
    return incident


#: The states in which the handling deadline is the one to watch when no step deadline is set
#: (cases from before the loop, or imported).
_HANDLING = frozenset(
    {S.REPORTED, S.ACCEPTED, S.FILED, S.RETURNED, S.DISPATCHED, S.IN_PROGRESS, S.REWORK, S.REOPENED}
)
