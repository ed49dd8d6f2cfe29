"""The trail of every sample incident: ``trails.csv``, one row per trail entry.

Each incident of ``incidents.csv`` keeps the status and time the history gave it
(:mod:`sample_data.history`); this module writes the path through the transition table
(:data:`cases.loop.table.ACTIONS`) that leads there, with times on the working-day calendar,
and the yellow and red supervision cards the sweep would have issued on the way. Every trail is
replayed (:func:`cases.loop.replay.replay`) while it is written, so a path the table refuses
cannot be written; the service's loader (:mod:`cases.loop.history`) replays it again to set
the derived columns. Deterministic: a seed of its own, so the incidents do not change when
this file does.

The paths, by final status (shares of the cases that reach it):

* ``void``: 不予立案 at once, or after 受理 (and a few after a 核实 round trip);
* ``closed`` / ``evaluated``: 受理 → 立案 → 派遣 → 签收 → 处置完成 → 核查 by the department,
  with on the way :data:`RETURNED` 回退 and re-dispatch (a few three times, which moves the case
  a level up), :data:`DELAYED` a delay applied and decided, :data:`ESCALATED` 上报上级,
  :data:`HUNG` a hang resumed, :data:`REWORK` a failed 核查 and rework; or :data:`SELF_HANDLED`
  自行处置 by the grid worker (not for sensitive categories), or a hung case 结案 by command;
  evaluated cases get a 评价 (:data:`EVALUATIONS`), and half of the dissatisfied ones are
  reopened (发回重办) and evaluated again;
* open cases stop at their status (``dispatched``, ``in_progress``, ``handled``, ``hung``).

Who acts: ``command`` (受理 also ``grid_worker``), the holding unit (``township`` for disputes,
``department`` otherwise), the ``grid_worker`` for 核查 and 自行处置, the ``grid_worker`` or
``command`` for 上报上级 (the holders of a case in the grid); the supervision cards are
``system`` entries. The sample's cases are not urgent. No photos are attached (the sample has
no image files); 自行处置 and 核查 record where the grid worker stood: the case's point.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from cases.loop.calendar import CHINA, Calendar
from cases.loop.limits import STEPS, Limit
from cases.loop.replay import Case, Clock, Entry, State, replay, start, step
from sample_data.output import write_csv

__all__ = [
    "FIELDS",
    "build_trails",
    "last_action_at",
    "sample_clock",
    "trails_section",
    "write_trails",
]

HERE = Path(__file__).resolve().parent
SEED = 20240313
FIELDS = ("line", "at", "kind", "action", "actor", "reason", "data")
#: The moment the sample history stops (open cases are open then).
END = datetime(2025, 1, 1, tzinfo=CHINA)

SELF_HANDLED = 0.12
RETURNED = 0.08
RETURNED_THRICE = 0.01
DELAYED = 0.06
DELAY_APPROVED = 0.75
ESCALATED = 0.05
HUNG = 0.03
HUNG_CLOSED = 0.02
REWORK = 0.06
VOID_AFTER_ACCEPT = 0.5
VOID_AFTER_CHECK = 0.1
EVALUATIONS = {"satisfied": 0.82, "basically_satisfied": 0.13, "dissatisfied": 0.05}
REOPENED = 0.5

REASONS = {
    "void": ("重复上报", "不属于受理范围", "经核实情况不存在"),
    "request_check": ("请网格员现场核实",),
    "return": ("不属于本单位职责", "地址有误，请核实后改派"),
    "handle": ("已现场处置完毕", "已协调相关方解决", "已整改到位"),
    "hang": ("需等待上级政策", "涉及资金，暂不具备处置条件"),
    "escalate": ("本级无法解决，提请上级协调",),
    "close": ("经核实已不具备处置条件，作结案处理",),
    "reopen": ("群众对处置结果不满意",),
    "apply_delay": ("工程量大，需延长处置时间",),
    "decide_delay": ("延期理由不充分",),
    "verify": ("现场核查未整改到位",),
}
_CARD_REASONS = {"yellow": "黄牌：超过期限达到黄牌时限", "red": "红牌：超过期限达到红牌时限"}
#: The statuses in which the sweep watches the handling deadline (sql/supervision_sweep.sql).
_WATCHED = frozenset({"dispatched", "returned", "in_progress", "rework", "reopened"})


def _migration_defaults() -> list[tuple[bool, str, str, str, str | None, str | None]]:
    """WORKFLOW.md's default limits as migration 0005 seeds them (the one place they live)."""
    path = HERE.parent / "migrations" / "versions" / "0005_closed_loop.py"
    spec = importlib.util.spec_from_file_location("_closed_loop", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.DEFAULT_LIMITS)


def _categories() -> dict[str, tuple[int, bool]]:
    with (HERE / "categories.csv").open(encoding="utf-8", newline="") as f:
        return {
            r["code"]: (int(r["time_limit_hours"]), r["sensitive"] == "true")
            for r in csv.DictReader(f)
            if r["parent_code"]
        }


def sample_clock() -> Clock:
    """The clock of a freshly loaded sample database: the package calendar (no ``work_day``
    rows), migration 0005's limits and each category's handling row (``seed_handle_limits``)."""
    defaults = {
        (urgent, s): Limit(
            Decimal(amount),
            unit,
            None if y is None else Decimal(y),
            None if r is None else Decimal(r),
        )
        for urgent, s, amount, unit, y, r in _migration_defaults()
    }
    limits: dict[tuple[str, bool, str], Limit] = {}
    for code, (hours, _) in _categories().items():
        for urgent in (False, True):
            for s in STEPS:
                limits[(code, urgent, s)] = defaults[(urgent, s)]
        own = (
            Limit(Decimal(hours), "work_hours", Decimal(5), Decimal(10))
            if hours <= 24
            else Limit(Decimal(hours) / Decimal(24), "work_days", Decimal(5), Decimal(10))
        )
        limits[(code, False, "handle")] = own
    return Clock(Calendar(), limits)


Spec = tuple[str, str, dict[str, Any]]  # action, actor, data


class _Paths:
    """Action sequences (without times) to a final status."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: tuple[str, ...] | dict[str, float]) -> str:
        keys = sorted(options) if isinstance(options, dict) else list(options)
        if isinstance(options, dict):
            p = np.array([options[k] for k in keys])
            return keys[int(self.rng.choice(len(keys), p=p / p.sum()))]
        return keys[int(self.rng.integers(len(keys)))]

    def to(self, final: str, category: str, sensitive: bool) -> list[Spec]:
        holder = "township" if category.startswith("01") else "department"
        accept: Spec = ("accept", self.pick(("command", "command", "grid_worker")), {})
        if final == "reported":
            return []
        if final == "void":
            if not self.chance(VOID_AFTER_ACCEPT):
                return [("void", "command", {})]
            check: list[Spec] = [("request_check", "command", {}), accept]
            return [
                accept,
                *(check if self.chance(VOID_AFTER_CHECK) else []),
                ("void", "command", {}),
            ]
        if final == "closed" and not sensitive and self.chance(SELF_HANDLED):
            return [("accept", "grid_worker", {}), ("self_handle", "grid_worker", {})]
        path: list[Spec] = [accept, ("file", "command", {}), ("dispatch", "command", {})]
        if self.chance(RETURNED):
            for _ in range(3 if self.chance(RETURNED_THRICE / RETURNED) else 1):
                path += [("return", holder, {}), ("dispatch", "command", {})]
        if final == "dispatched":
            return path
        path.append(("sign", holder, {}))
        if self.chance(ESCALATED):
            path.append(("escalate", self.pick(("grid_worker", "command")), {}))
        if self.chance(DELAYED):
            days = int(self.rng.integers(2, 11))
            approve = self.chance(DELAY_APPROVED)
            path += [
                ("apply_delay", holder, {"delay_days": days}),
                ("decide_delay", "command", {"approve": approve}),
            ]
        if final == "in_progress":
            return path
        if final == "hung" or (final == "closed" and self.chance(HUNG_CLOSED)):
            path.append(("hang", holder, {}))
            return path if final == "hung" else [*path, ("close", "command", {})]
        if self.chance(HUNG):
            path += [("hang", holder, {}), ("resume", "command", {})]
        path.append(("handle", holder, {}))
        if final == "handled":
            return path
        if self.chance(REWORK):
            path += [
                ("verify", "grid_worker", {"approve": False}),
                ("resume", "command", {}),
                ("handle", holder, {}),
            ]
        path.append(("verify", "grid_worker", {"approve": True}))
        if final == "closed":
            return path
        evaluation = self.pick(EVALUATIONS)
        path.append(("evaluate", "command", {"evaluation": evaluation}))
        if evaluation == "dissatisfied" and self.chance(REOPENED):
            again = self.pick({k: v for k, v in EVALUATIONS.items() if k != "dissatisfied"})
            path += [
                ("reopen", "command", {}),
                ("resume", "command", {}),
                ("handle", holder, {}),
                ("verify", "grid_worker", {"approve": True}),
                ("evaluate", "command", {"evaluation": again}),
            ]
        return path


#: Working time (seconds, low, high) an action follows the one before it by; the last 处置完成
#: (or the last action, when there is none) takes what is left of the case's time.
_GAPS = {
    "accept": (120, 2 * 3600),
    "request_check": (300, 3600),
    "void": (300, 3 * 3600),
    "file": (300, 3600),
    "dispatch": (60, 1800),
    "return": (1800, 5 * 3600),
    "sign": (600, 6 * 3600),
    "escalate": (3600, 7 * 3600),
    "apply_delay": (3600, 14 * 3600),
    "decide_delay": (600, 4 * 3600),
    "hang": (3600, 14 * 3600),
    "resume": (7 * 3600, 35 * 3600),
    "handle": (2 * 3600, 14 * 3600),
    "verify": (600, 2 * 3600),
    "close": (3600, 7 * 3600),
    "reopen": (3600, 7 * 3600),
    "evaluate": (2 * 3600, 14 * 3600),
}
_MIN_GAP = 60


def on_duty(rng: np.random.Generator, at: datetime, cal: Calendar) -> datetime:
    """``at`` if it is working time, else a little after the next working moment."""
    if cal.forward(at, 0) == at:
        return at
    return cal.forward(at, int(rng.integers(300, 5400)))


def _times(rng: np.random.Generator, specs: list[Spec], reported: datetime, last: datetime,
           cal: Calendar) -> list[datetime]:  # fmt: skip
    """Increasing times for ``specs`` on the working calendar, the last at ``last``: each
    action a drawn working time after the one before, the last 处置完成 taking the rest (all
    drawn times shrunk to fit when they do not); evenly spaced on the clock when there is
    hardly any working time between report and ``last`` (a holiday)."""
    n = len(specs)
    names = [s[0] for s in specs]
    flexible = max(
        (i for i, a in enumerate(names) if a in ("handle", "self_handle")), default=n - 1
    )
    work = cal.between(reported, last)
    if work < _MIN_GAP * (n + 1):
        span = last - reported
        return [(reported + span * (k + 1) / n).replace(microsecond=0) for k in range(n - 1)] + [
            last
        ]
    gaps = [
        int(rng.integers(low, high + 1)) for low, high in (_GAPS.get(a, (600, 3600)) for a in names)
    ]
    gaps[flexible] = 0
    budget = work - _MIN_GAP * (n + 1)
    drawn = sum(gaps)
    if drawn > 0.9 * budget:
        gaps = [int(g * 0.9 * budget / drawn) for g in gaps]
    gaps = [g + _MIN_GAP for g in gaps]
    gaps[flexible] += work - _MIN_GAP - sum(gaps)
    times, spent = [], 0
    for g in gaps[:-1]:
        spent += g
        times.append(cal.forward(reported, spent))
    return [*times, last]


def _cards(case: Case, entries: list[Entry], clock: Clock) -> list[Entry]:
    """The yellow and red cards the sweep issues on the handling deadline while the case waits
    on it (open, not hung), once per deadline; merged into ``entries`` in time order."""
    out: list[Entry] = []
    state = start(case, clock)
    issued: set[tuple[str, datetime]] = set()
    for k, entry in enumerate(entries):
        state = step(case, state, entry, clock, k + 1)
        out.append(entry)
        until = entries[k + 1].at if k + 1 < len(entries) else END
        out += _cards_between(case, state, entry.at, until, clock, issued)
    return out


def _cards_between(case: Case, state: State, since: datetime, until: datetime, clock: Clock,
                   issued: set[tuple[str, datetime]]) -> Iterator[Entry]:  # fmt: skip
    if state.status not in _WATCHED or state.handling_started_at is None:
        return
    due = state.deadline_at
    assert due is not None
    limit = clock.limit(case, "handle")
    for card, days in (("yellow", limit.yellow_after), ("red", limit.red_after)):
        if days is None or (card, due) in issued:
            continue
        at = clock.calendar.add(due, days, "work_days")
        if since < at < until:
            issued.add((card, due))
            yield Entry(
                "card", at, "system", {"card": card, "due_at": due.isoformat()}, "supervision"
            )


def build_trails(rows: list[dict[str, str]], clock: Clock | None = None) -> list[list[Entry]]:
    """The trail of each incident row (``reported_at``, ``status``, ``status_at``,
    ``category``), each checked by replaying it to the row's status. The last action is at the
    row's ``status_at`` moved to the next working moment (a few minutes to an hour and a half
    after it) when it fell outside working time: write that back to the row
    (:func:`last_action_at`)."""
    clock = clock or sample_clock()
    categories = _categories()
    rng = np.random.default_rng(SEED)
    paths = _Paths(rng)
    trails: list[list[Entry]] = []
    for row in rows:
        sensitive = categories[row["category"]][1]
        reported = datetime.fromisoformat(row["reported_at"])
        case = Case(row["category"], False, sensitive, reported, None)
        specs = paths.to(row["status"], row["category"], sensitive)
        if not specs:
            trails.append([])
            continue
        last = on_duty(rng, datetime.fromisoformat(row["status_at"]), clock.calendar)
        if last >= END or (
            row["status"] not in ("closed", "evaluated", "void") and last > END - timedelta(hours=1)
        ):
            last = datetime.fromisoformat(row["status_at"])
        times = _times(rng, specs, reported, last, clock.calendar)
        entries = [Entry(a, t, who, data) for (a, who, data), t in zip(specs, times, strict=True)]
        entries = _cards(case, entries, clock)
        final = replay(case, entries, clock)
        assert final.status == row["status"], (row, final)
        trails.append(entries)
    return trails


def last_action_at(trail: list[Entry]) -> datetime | None:
    """When the case's last action was taken (None: no action yet)."""
    return max((e.at for e in trail if e.kind == "action"), default=None)


def _reason(rng: np.random.Generator, entry: Entry) -> str:
    if entry.kind == "supervision":
        return _CARD_REASONS[str(entry.data["card"])]
    if entry.action == "verify" and entry.data["approve"]:
        return ""
    if entry.action == "decide_delay" and entry.data["approve"]:
        return ""
    options = REASONS.get(entry.action)
    return "" if options is None else options[int(rng.integers(len(options)))]


def trail_rows(trails: list[list[Entry]]) -> Iterator[dict[str, str]]:
    """The CSV rows of ``trails``: ``line`` is the incident's data row in ``incidents.csv``
    (1 = the first), ``data`` compact JSON (empty when there is none)."""
    rng = np.random.default_rng([SEED, 1])
    for line, entries in enumerate(trails, 1):
        for e in entries:
            yield {
                "line": str(line),
                "at": e.at.astimezone(CHINA).isoformat(timespec="seconds"),
                "kind": e.kind,
                "action": e.action,
                "actor": e.actor_role,
                "reason": _reason(rng, e),
                "data": json.dumps(dict(e.data), ensure_ascii=False, separators=(",", ":"))
                if e.data
                else "",
            }


def write_trails(path: Path, trails: list[list[Entry]]) -> None:
    """Write ``trails`` (:func:`build_trails`) to ``path`` (``trails.csv``)."""
    write_csv(path, FIELDS, trail_rows(trails))


def _late(state: State, trail: list[Entry]) -> bool:
    """Past the handling deadline when it (last) closed, or at :data:`END` if still open."""
    if state.handling_started_at is None or state.status == "void":
        return False
    assert state.deadline_at is not None
    closed_at = END
    for e in trail:
        closing = e.action in ("self_handle", "close") or (
            e.action == "verify" and e.data["approve"]
        )
        if e.kind == "action" and closing:
            closed_at = e.at
    return state.deadline_at < closed_at


def trails_section(rows: list[dict[str, str]], trails: list[list[Entry]]) -> str:
    """The README's part on the trails (the figures ``tests/test_sample_trails.py`` asserts)."""
    clock = sample_clock()
    categories = _categories()
    finals = []
    for row, trail in zip(rows, trails, strict=True):
        reported = datetime.fromisoformat(row["reported_at"])
        hours = categories[row["category"]][0]
        case = Case(row["category"], False, categories[row["category"]][1], reported,
                    reported + timedelta(hours=hours))  # fmt: skip
        finals.append(replay(case, trail, clock))
    actions = Counter(e.action for t in trails for e in t if e.kind == "action")
    cards = Counter(str(e.data["card"]) for t in trails for e in t if e.kind == "supervision")
    n_entries = sum(len(t) for t in trails)
    table = [
        ("cases with a yellow / red card now", f"{sum(s.card == 'yellow' for s in finals):,} / "
         f"{sum(s.card == 'red' for s in finals):,}"),
        ("cards issued (yellow / red)", f"{cards['yellow']:,} / {cards['red']:,}"),
        ("escalated (held above the micro-grid)",
         f"{sum(s.level != 'micro_grid' for s in finals):,}"),
        ("returned and re-dispatched at least once", f"{sum(s.transfers > 0 for s in finals):,}"),
        ("reopened (发回重办)", f"{sum(s.reopened_count for s in finals):,}"),
        ("delays approved / rejected",
         f"{sum(s.delay_state == 'approved' for s in finals):,} / "
         f"{sum(s.delay_state == 'rejected' for s in finals):,}"),
        ("late (past the handling deadline at closing, or at the end if open)",
         f"{sum(_late(s, t) for s, t in zip(finals, trails, strict=True)):,}"),
    ]  # fmt: skip
    evaluations = Counter(s.evaluation for s in finals if s.evaluation)
    closed = Counter(s.closed_level for s in finals if s.closed_level)
    return "\n".join(
        [
            "### Trails",
            "",
            f"`trails.csv`: {n_entries:,} trail entries after the `reported` one, one row each "
            "(`line` = the incident's data row",
            "in `incidents.csv`; `data` as JSON), written by `sample_data/trails.py`, whose "
            "docstring gives the paths.",
            "Every trail is a legal path through the transition table "
            "(`cases/loop/table.py`) to the incident's",
            "status, on the working-day calendar and the default time limits; the supervision "
            "cards are the yellow and",
            "red cards the sweep issues on the handling deadline. The loader replays each trail "
            "to set the incident's",
            "derived columns (`cases/loop/history.py`); `status_at` is the last action's time.",
            "",
            "| action | entries |",
            "| --- | ---: |",
            *(f"| `{a}` | {c:,} |" for a, c in actions.most_common()),
            "",
            "| cases | count |",
            "| --- | ---: |",
            *(f"| {what} | {c} |" for what, c in table),
            "",
            "Evaluations: "
            + ", ".join(f"`{k}` {v:,}" for k, v in evaluations.most_common())
            + "; closed at: "
            + ", ".join(f"`{k}` {v:,}" for k, v in closed.most_common())
            + ".",
            "",
        ]
    )
