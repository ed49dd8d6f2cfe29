"""A case's trail replayed through the transition table, without a database: :func:`replay`.

The sample history (``sample_data/trails.csv``) is written by a generator that has no
database, and loaded by :mod:`cases.loop.history`, which must set the derived columns of each
case (status, level, closed level, card, delay, handling clock, deadlines, transfers,
reopenings, evaluation, version) to what its trail says. Both read them from here, so they
cannot disagree: each entry is checked against :data:`cases.loop.table.ACTIONS` (state, guards,
role, the level that holds the case) and its effects are :func:`advance`'s, the one function
:func:`cases.loop.actions.apply` also takes them from. :func:`advance` reads time through a
:class:`LoopClock`: here the in-memory :class:`Clock` (the working calendar and the resolved
time limits, loaded once), in ``apply`` the case's limits and the database's calendar.

Examples
--------
>>> from cases.loop.calendar import Calendar, at
>>> from cases.loop.limits import STEPS
>>> limits = {("0401", False, s): Limit(Decimal(1), "work_hours") for s in STEPS}
>>> clock = Clock(Calendar(), limits | {("0401", False, "handle"): Limit(Decimal(5), "work_days")})
>>> start = Case("0401", False, False, at(2026, 9, 30, 9, 0))
>>> entries = [Entry("accept", at(2026, 9, 30, 9, 10), "command"),
...            Entry("file", at(2026, 9, 30, 9, 20), "command"),
...            Entry("dispatch", at(2026, 9, 30, 15, 0), "command")]
>>> print(replay(start, entries, clock).deadline_at)
2026-10-13 15:00:00+08:00
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from access.accounts import Role
from cases.loop.calendar import Calendar
from cases.loop.limits import Limit
from cases.loop.table import (
    ACTIONS,
    STEP_OF,
    TRANSFERS_BEFORE_ESCALATION,
    Action,
    Effect,
    holds,
    next_level,
    scope_level,
    state_allows,
)
from cases.models import IncidentStatus as S

__all__ = [
    "CARD_RANK", "Case", "Clock", "Entry", "Illegal", "Limit", "LoopClock", "State", "advance",
    "replay",
]  # fmt: skip

#: A supervision card only ever raises the case's card (the sweep never lowers it).
CARD_RANK = {"none": 0, "yellow": 1, "red": 2}


class Illegal(ValueError):
    """An entry the table does not allow where it stands."""


class LoopClock(Protocol):
    """What :func:`advance` asks of time: a step's deadline for a case, a resumed handling
    deadline and a delayed one, on some working calendar."""

    def due(self, case: Case, step: str, start: datetime) -> datetime: ...

    def resumed(self, due_at: datetime, hung_since: datetime, now: datetime) -> datetime: ...

    def delayed(self, due_at: datetime, days: Decimal) -> datetime: ...


@dataclass(frozen=True)
class Clock:
    """The in-memory :class:`LoopClock`: the working calendar and the resolved limits,
    ``(category, urgent, step) → Limit``."""

    calendar: Calendar
    limits: Mapping[tuple[str, bool, str], Limit]

    def limit(self, case: Case, step: str) -> Limit:
        return self.limits[(case.category, case.urgent, step)]

    def due(self, case: Case, step: str, start: datetime) -> datetime:
        """:func:`cases.loop.limits.step_due` on this clock."""
        limit = self.limit(case, step)
        return self.calendar.add(start, limit.amount, limit.unit)

    def resumed(self, due_at: datetime, hung_since: datetime, now: datetime) -> datetime:
        """:func:`cases.loop.limits.resumed_due` on this clock."""
        return self.calendar.resumed(due_at, hung_since, now)

    def delayed(self, due_at: datetime, days: Decimal) -> datetime:
        """:func:`cases.loop.limits.delayed_due` on this clock."""
        return self.calendar.add(due_at, days, "work_days")


@dataclass(frozen=True)
class Case:
    """What the replay needs to know of a case besides its trail."""

    category: str
    urgent: bool
    sensitive: bool
    reported_at: datetime
    #: The handling deadline before dispatch sets it (the importer's: report + category hours).
    deadline_at: datetime | None = None


@dataclass(frozen=True)
class Entry:
    """One trail entry: an action (``kind='action'``) or a supervision notice
    (``kind='supervision'``, ``data={"card", "due_at"}``)."""

    action: str
    at: datetime
    actor_role: str
    data: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "action"


@dataclass(frozen=True)
class State:
    """The derived columns of ``incident``, as the trail leaves them."""

    status: str
    level: str
    closed_level: str | None
    card: str
    delay_state: str
    handling_started_at: datetime | None
    hung_since: datetime | None
    step_due_at: datetime | None
    deadline_at: datetime | None
    transfers: int
    reopened_count: int
    evaluation: str | None
    version: int
    #: The days of the pending delay application (not a column: read from the trail).
    delay_days: int | None = None


def start(case: Case, clock: LoopClock | None = None) -> State:
    """A case as it is reported, before any action: waiting to be accepted, by the accept
    limit from its report time on ``clock`` (as intake sets it; no step deadline without a
    clock)."""
    accept_due = None if clock is None else clock.due(case, "accept", case.reported_at)
    return State(
        "reported", "micro_grid", None, "none", "none", None, None, accept_due, case.deadline_at,
        0, 0, None, 1,
    )  # fmt: skip


def replay(case: Case, entries: Iterable[Entry], clock: LoopClock) -> State:
    """The state ``entries`` lead ``case`` to; :class:`Illegal` names the first entry the table
    refuses (wrong state or guard, a role the action is not for, a missing field)."""
    state, previous = start(case, clock), None
    for n, entry in enumerate(entries, 1):
        state = step(case, state, entry, clock, n, previous)
        previous = entry
    return state


def same_sweep(entry: Entry, previous: Entry | None) -> bool:
    """Whether ``entry`` is another notice of the sweep that wrote ``previous`` (one sweep
    writes its notices with one time and bumps each case's version once)."""
    return (
        previous is not None
        and entry.kind == previous.kind == "supervision"
        and entry.at == previous.at
    )


def step(
    case: Case,
    state: State,
    entry: Entry,
    clock: LoopClock,
    n: int = 0,
    previous: Entry | None = None,
) -> State:
    """``state`` after ``entry`` (its :func:`advance`, after checking it against the table; a
    supervision notice raises the card, never lowers it, as the sweep does); ``previous`` is
    the entry before it."""
    if entry.kind == "supervision":
        card = str(entry.data["card"])
        raised = card if CARD_RANK.get(card, 0) > CARD_RANK[state.card] else state.card
        bump = 0 if same_sweep(entry, previous) else 1
        return replace(state, card=raised, version=state.version + bump)
    action = ACTIONS.get(entry.action)
    if action is None:
        raise Illegal(f"entry {n}: unknown action {entry.action!r}")
    view = {
        "status": state.status,
        "delay_state": state.delay_state,
        "reopened_count": state.reopened_count,
        "level": state.level,
        "sensitive": case.sensitive,
        "evaluation": state.evaluation,
    }
    if not state_allows(action, view):
        raise Illegal(f"entry {n}: {entry.action} is not allowed in {state.status}")
    role = Role(entry.actor_role)
    if role not in action.roles:
        raise Illegal(f"entry {n}: the role {entry.actor_role} may not {entry.action}")
    if role not in action.anywhere and not holds(role, scope_level(role), state.level):
        raise Illegal(f"entry {n}: a {entry.actor_role} does not hold a case at {state.level}")
    return advance(action, case, state, entry.at, entry.data, clock)


def advance(
    action: Action,
    case: Case,
    state: State,
    now: datetime,
    data: Mapping[str, Any],
    clock: LoopClock,
) -> State:
    """The case after ``action`` taken at ``now`` with the checked fields ``data`` (``approve``,
    ``delay_days``, ``evaluation``, ``card``, ``level``: {from, to}): its status, what the
    effects set, the step deadline it waits on next, one version up. The one place an action's
    outcome is decided, for the action endpoint and the replay alike."""
    effects = set(action.effects)
    to = action.to
    if Effect.VERIFY in effects:
        to = S.CLOSED if data["approve"] else S.REWORK
    new = replace(state, status=to.value if to is not None else state.status)
    if Effect.START_HANDLING in effects and state.handling_started_at is None:
        new = replace(new, handling_started_at=now, deadline_at=clock.due(case, "handle", now))
    if Effect.COUNT_TRANSFER in effects and state.status == S.RETURNED:
        new = replace(new, transfers=state.transfers + 1)
        above = next_level(state.level)
        if new.transfers >= TRANSFERS_BEFORE_ESCALATION and above is not None:
            new = replace(new, level=above)
    if Effect.HANG in effects:
        new = replace(new, hung_since=now)
    if Effect.RESUME in effects and state.status == S.HUNG and state.hung_since is not None:
        assert state.deadline_at is not None
        due = clock.resumed(state.deadline_at, state.hung_since, now)
        new = replace(new, hung_since=None, deadline_at=due)
    if Effect.RESTART_HANDLING in effects and state.status in (S.REWORK, S.REOPENED):
        new = replace(new, deadline_at=clock.due(case, "handle", now))
    if new.status == S.CLOSED:
        new = replace(new, closed_level=state.level)
    if Effect.APPLY_DELAY in effects:
        new = replace(new, delay_state="applied", delay_days=int(data["delay_days"]))
    if Effect.DECIDE_DELAY in effects:
        new = _decided(new, bool(data["approve"]), clock)
    if Effect.ESCALATE in effects:
        moved = data.get("level")
        to_level = moved.get("to") if isinstance(moved, Mapping) else None
        new = replace(new, level=str(to_level or next_level(state.level) or state.level))
    if Effect.EVALUATE in effects or "evaluation" in data:
        new = replace(new, evaluation=str(data["evaluation"]))
    if Effect.REOPEN in effects:
        new = replace(new, reopened_count=state.reopened_count + 1, closed_level=None)
    if Effect.CARD in effects:
        new = replace(new, card=str(data["card"]))
    return replace(
        new, step_due_at=_step_due(case, state, new, now, clock), version=state.version + 1
    )


def _decided(new: State, approve: bool, clock: LoopClock) -> State:
    if not approve:
        return replace(new, delay_state="rejected")
    assert new.deadline_at is not None and new.delay_days is not None
    due = clock.delayed(new.deadline_at, Decimal(new.delay_days))
    return replace(new, delay_state="approved", deadline_at=due)


def _step_due(
    case: Case, state: State, new: State, now: datetime, clock: LoopClock
) -> datetime | None:
    """The handling deadline while handled, a fresh step limit when the status changed,
    unchanged otherwise."""
    if new.status == S.IN_PROGRESS:
        return new.deadline_at
    if new.status == state.status:
        return state.step_due_at
    step = STEP_OF[S(new.status)]
    if step is None or new.status in (S.REWORK, S.REOPENED):
        return None
    return clock.due(case, step, now)
