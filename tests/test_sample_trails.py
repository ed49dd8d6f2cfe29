"""The sample history's trails (issue #13, build item 6): every case got where it is by
actions the transition table allows, and its columns say what its trail says.

Each sample case's trail is read back from ``incident_event`` and replayed twice: step by step
against the table as the property test in ``tests/test_loop_actions.py`` replays (``_replay``:
from-status, allowed source states, target state), and through
:func:`cases.loop.replay.replay` on the database's calendar and time limits, whose result must
equal every derived column stored on the incident. Counts are exact figures of this build
(the README's "Trails" section states the same ones).
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cases.loop.history import clock
from cases.loop.replay import Case, Entry, replay
from cases.loop.table import ACTIONS
from cases.models import IncidentStatus
from cases.sample import SAMPLE_SOURCE
from geo.periods import CHINA
from tests.test_loop_actions import act, made, new_case, ok, point  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
END = datetime(2025, 1, 1, tzinfo=CHINA)
DERIVED = (
    "status", "level", "closed_level", "card", "delay_state", "handling_started_at",
    "hung_since", "step_due_at", "deadline_at", "transfers", "reopened_count", "evaluation",
    "version",
)  # fmt: skip


@pytest.fixture(scope="module")
def cases(engine) -> list[tuple[Any, list[Any]]]:
    """Every sample case with its trail after the ``reported`` entry, oldest first."""
    with engine.connect() as conn:
        incidents = conn.execute(
            text(
                f"SELECT i.id, i.code, i.category_code, i.urgent, c.sensitive, i.reported_at, "
                f"i.source, {', '.join('i.' + c for c in DERIVED)} "
                "FROM incident i JOIN category c ON c.code = i.category_code "
                "WHERE i.source = :s ORDER BY i.id"
            ),
            {"s": SAMPLE_SOURCE},
        ).all()
        events = conn.execute(
            text(
                "SELECT e.incident_id, e.id, e.at, e.actor, e.kind, e.action, e.from_status, "
                "e.to_status, e.reason, e.data, e.where_geom IS NOT NULL AS has_where "
                "FROM incident_event e JOIN incident i ON i.id = e.incident_id "
                "WHERE i.source = :s ORDER BY e.incident_id, e.id"
            ),
            {"s": SAMPLE_SOURCE},
        ).all()
    trails = {k: list(g) for k, g in groupby(events, key=lambda e: e.incident_id)}
    return [(i, trails[i.id]) for i in incidents]


def _replay_statuses(entries: list[Any]) -> str:
    """tests/test_loop_actions.py's ``_replay``, over the action entries, with the
    supervision entries (which keep the status) in between."""
    status = "reported"
    for e in entries:
        assert e.from_status == status
        if e.kind == "supervision":
            assert (e.action, e.to_status) == ("card", status)
            continue
        action = ACTIONS[e.action]
        assert IncidentStatus(status) in action.from_states
        if action.name == "verify":
            assert e.to_status in ("closed", "rework")
        else:
            assert e.to_status == (action.to.value if action.to else status)
        status = e.to_status
    return status


def test_every_trail_is_a_legal_path_to_the_stored_status(cases):
    assert len(cases) == 5740
    for incident, trail in cases:
        first, rest = trail[0], trail[1:]
        assert (first.kind, first.to_status, first.at) == (
            "reported",
            "reported",
            incident.reported_at,
        )
        assert {e.kind for e in rest} <= {"action", "supervision"}
        assert _replay_statuses(rest) == incident.status, incident.code
        assert [e.at for e in rest] == sorted(e.at for e in rest)
        assert all(e.at > incident.reported_at for e in rest)
        # after the history's end only the service's own sweep writes (cards of open cases)
        assert all(e.at < END for e in rest if e.kind == "action" or e.actor != "system")


def test_every_case_replays_to_its_derived_columns(engine, cases):
    with engine.connect() as conn:
        the_clock = clock(conn)
    deadline = {r[0]: r[1] for r in _importer_deadlines(engine)}
    for incident, trail in cases:
        case = Case(
            incident.category_code, incident.urgent, incident.sensitive, incident.reported_at,
            deadline[incident.id],
        )  # fmt: skip
        entries = [Entry(e.action, e.at, e.actor, _data(e.data), e.kind) for e in trail[1:]]
        state = replay(case, entries, the_clock)
        stored = {c: getattr(incident, c) for c in DERIVED}
        assert {c: getattr(state, c) for c in DERIVED} == stored, incident.code


def _importer_deadlines(engine) -> list[tuple[int, datetime]]:
    """What the importer set before the trail: report time + the category's hours."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT i.id, i.reported_at + make_interval(hours => c.time_limit_hours) "
                    "FROM incident i JOIN category c ON c.code = i.category_code "
                    "WHERE i.source = :s"
                ),
                {"s": SAMPLE_SOURCE},
            ).all()
        )


def _data(value: Any) -> dict[str, Any]:
    data = dict(value or {})
    data.pop("level", None)  # written by the loader from the replay, not read by it
    return data


def test_derived_columns_agree_with_the_trail_by_hand(cases):
    """Independently of the replay: version, card, reopenings, transfers, evaluation, the
    handling clock and the closing level, each counted straight off the trail."""
    rank = {"none": 0, "yellow": 1, "red": 2}
    for incident, trail in cases:
        rest = trail[1:]
        actions = [e for e in rest if e.kind == "action"]
        sweeps = {e.at for e in rest if e.kind == "supervision"}
        assert incident.version == 1 + len(actions) + len(sweeps)
        cards = [e.data["card"] for e in rest if e.kind == "supervision"]
        assert incident.card == max(["none", *cards], key=lambda c: rank.get(c, -1))
        assert incident.reopened_count == sum(e.action == "reopen" for e in actions)
        assert incident.transfers == sum(
            e.action == "dispatch" and e.from_status == "returned" for e in actions
        )
        evaluations = [e.data["evaluation"] for e in actions if e.data and "evaluation" in e.data]
        assert incident.evaluation == (evaluations[-1] if evaluations else None)
        dispatches = [e.at for e in actions if e.action == "dispatch"]
        assert incident.handling_started_at == (dispatches[0] if dispatches else None)
        closed = incident.status in ("closed", "evaluated")
        assert (incident.closed_level is not None) == closed
        ups = sum(1 for e in actions if e.data and "level" in e.data)
        assert incident.level == ("micro_grid", "grid", "village", "township", "banner")[ups]
        assert all(e.has_where == (e.action in ("self_handle", "verify")) for e in actions)
        assert all(
            e.reason
            for e in actions
            if ACTIONS[e.action].needs and "reason" in [n.value for n in ACTIONS[e.action].needs]
        )


def _late(incident: Any, trail: list[Any]) -> bool:
    """Past its handling deadline when it closed, or at the end of the history if open."""
    if incident.handling_started_at is None or incident.status == "void":
        return False
    closes = [e.at for e in trail if e.to_status == "closed" and e.from_status != "closed"]
    return incident.deadline_at < (closes[-1] if closes else END)


def _card_at_end(trail: list[Any]) -> str:
    cards = {e.data["card"] for e in trail if e.kind == "supervision" and e.at < END}
    return "red" if "red" in cards else "yellow" if "yellow" in cards else "none"


def test_the_history_has_cases_of_every_kind(cases):
    """Cards as the history left them (the service's sweep adds its own to open cases)."""
    incidents = [i for i, _ in cases]
    assert Counter(i.status for i in incidents) == STATUSES
    assert Counter(_card_at_end(t) for _, t in cases) == CARDS
    assert Counter(i.level for i in incidents) == LEVELS
    assert Counter(i.closed_level for i in incidents if i.closed_level) == CLOSED_LEVELS
    assert Counter(i.evaluation for i in incidents if i.evaluation) == EVALUATIONS
    assert Counter(i.delay_state for i in incidents) == DELAYS
    assert sum(i.reopened_count for i in incidents) == REOPENED
    assert sum(i.transfers > 0 for i in incidents) == TRANSFERRED
    assert sum(_late(i, t) for i, t in cases) == LATE
    actions = Counter(e.action for _, t in cases for e in t[1:] if e.kind == "action")
    assert actions == ACTION_COUNTS
    cards = Counter(
        e.data["card"] for _, t in cases for e in t[1:] if e.kind == "supervision" and e.at < END
    )
    assert cards == Counter(yellow=93, red=50)


def test_the_csv_status_is_where_the_trail_ends(cases):
    with (SAMPLE / "incidents.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert Counter(r["status"] for r in rows) == Counter(i.status for i, _ in cases)
    last = sorted(
        max((e.at for e in t if e.kind == "action"), default=None) or i.reported_at
        for i, t in cases
    )
    stamped = sorted(datetime.fromisoformat(r["status_at"] or r["reported_at"]) for r in rows)
    assert last == stamped


STATUSES = Counter(
    closed=2209,
    evaluated=3209,
    void=179,
    in_progress=45,
    dispatched=45,
    handled=31,
    hung=18,
    reported=4,
)
CARDS = Counter(none=5647, yellow=43, red=50)
# with the mediation ladders' climbs (sample_data/mediation.py): micro-grid → grid → village at
# the intake of each of the 309 files, then one more per rung
LEVELS = Counter(micro_grid=5126, grid=302, village=263, township=38, banner=11)
CLOSED_LEVELS = Counter(micro_grid=4806, grid=300, village=263, township=38, banner=11)
EVALUATIONS = Counter(satisfied=2692, basically_satisfied=438, dissatisfied=79)
DELAYS = Counter(none=5446, approved=226, rejected=68)
REOPENED = 94
TRANSFERRED = 405
LATE = 492
ACTION_COUNTS = Counter(
    accept=5666,
    file=5304,
    dispatch=5793,
    sign=5259,
    handle=5551,
    verify=5520,
    escalate=944,
    hang=219,
    resume=556,
    evaluate=3303,
    self_handle=253,
    close=49,
    void=179,
    apply_delay=294,
    decide_delay=294,
    reopen=94,
    request_check=17,
    **{"return": 489},
)


def test_the_replay_agrees_with_the_actions_endpoint(client, auth, engine, new_case):  # noqa: F811
    """The oracle for the replay: a case moved through ``POST …/actions`` (return and
    re-dispatch, a delay approved, hung and resumed, escalated, carded by hand) has the columns
    the replay of its trail computes."""
    code = new_case()
    for who, action, fields in [
        ("command", "accept", {}),
        ("command", "file", {}),
        ("command", "dispatch", {"department_code": "D02"}),
        ("department", "return", {"reason": "非本单位职责"}),
        ("command", "dispatch", {"department_code": "D02"}),
        ("department", "sign", {}),
        ("department", "apply_delay", {"reason": "工程量大", "delay_days": 3}),
        ("command", "decide_delay", {"approve": True}),
        ("department", "hang", {"reason": "待资金"}),
        ("command", "resume", {}),
        ("command", "escalate", {"reason": "本级无法解决"}),
        ("command", "card", {"card": "yellow", "reason": "督办"}),
    ]:
        ok(act(client, auth, code, who, action, **fields))
    with engine.connect() as conn:
        incident = conn.execute(
            text(
                f"SELECT i.id, i.category_code, i.urgent, c.sensitive, i.reported_at, "
                f"{', '.join('i.' + c for c in DERIVED)} "
                "FROM incident i JOIN category c ON c.code = i.category_code WHERE i.code = :c"
            ),
            {"c": code},
        ).one()
        entries = [
            Entry(e.action, e.at, e.actor, _data(e.data), e.kind)
            for e in conn.execute(
                text(
                    "SELECT e.action, e.at, a.role AS actor, e.data, e.kind "
                    "FROM incident_event e JOIN account a ON a.username = e.actor "
                    "WHERE e.incident_id = :id AND e.kind = 'action' ORDER BY e.id"
                ),
                {"id": incident.id},
            )
        ]
        the_clock = clock(conn)
    case = Case(incident.category_code, incident.urgent, incident.sensitive, incident.reported_at)
    state = replay(case, entries, the_clock)
    assert len(entries) == 12
    assert {c: getattr(state, c) for c in DERIVED} == {c: getattr(incident, c) for c in DERIVED}
    assert (state.level, state.delay_state, state.transfers, state.card) == (
        "grid", "approved", 1, "yellow",
    )  # fmt: skip
