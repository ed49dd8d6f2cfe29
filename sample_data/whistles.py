"""Sample whistles (街道吹哨、部门报到, WORKFLOW.md §3) on the open sample cases: ``whistles.csv``.

Three dozen whistles, each on a case the history leaves open (dispatched, in progress, handled
or hung), blown some time after the case reached that state. The departments are the routing
matrix's suggestion, chosen when the file is loaded (:mod:`cases.whistle.sample`); this file
says, for each slot (0 the 主办, 1 and 2 the 协办), whether that department came on time, late
or not at all, when it acknowledged and checked in, with what accuracy, and the whistler's
three scores of it. The check-in is sent at the case's own point (inside its area), so the
judgement follows from the time alone: most on time, some late, a few absent. Every whistle is
released, so the supervision sweep finds none of them overdue.

Deterministic: its own seeded generator, reading only ``incidents.csv``.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from geo.periods import CHINA
from sample_data.output import write_csv

SEED = 2026_1214
COUNT = 36
OPEN = ("dispatched", "in_progress", "handled", "hung")
FIELDS = (
    "whistle", "reported_at", "lon", "lat", "datum", "kind", "blown_at", "released_at", "reason",
    "slot", "acknowledged_at", "checkin_at", "accuracy", "efficiency", "handling",
    "satisfaction", "score_reason",
)  # fmt: skip
KINDS = {"beyond_township": 0.5, "joint_enforcement": 0.3, "emergency": 0.2}
REASONS = {
    "beyond_township": [
        "群众反映问题涉及多个部门职责，需联合现场办理",
        "超出镇级处置权限，请部门到场",
    ],
    "joint_enforcement": [
        "违法建设需联合执法，请相关部门到场",
        "占道经营反复出现，组织联合整治",
    ],
    "emergency": ["突发险情，请各部门立即到场处置", "现场存在安全隐患，需紧急联合处置"],
}
SCORE_REASONS = {"on_time": "按时到场，配合积极", "late": "到场迟缓，影响处置进度"}
OUTCOMES = {"on_time": 0.75, "late": 0.15, "absent": 0.10}


def _stamp(at: datetime) -> str:
    return at.astimezone(CHINA).isoformat(timespec="seconds")


def _draw(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _arrival(rng: np.random.Generator, kind: str, outcome: str) -> timedelta:
    """When a department came, after the whistle: inside or past the kind's limit whatever
    the calendar (30 minutes; 2 working days, which 4 hours never exceed and 12 days always
    do, holidays included)."""
    if kind == "beyond_township":
        hours = rng.uniform(0.5, 4.0) if outcome == "on_time" else rng.uniform(12 * 24, 13 * 24)
        return timedelta(minutes=round(float(hours) * 60))
    minutes = rng.uniform(6, 28) if outcome == "on_time" else rng.uniform(35, 90)
    return timedelta(minutes=round(float(minutes)))


def build_whistles(incidents: Path) -> list[dict[str, str]]:
    """The rows of ``whistles.csv``: one per whistle and department slot."""
    with incidents.open(encoding="utf-8", newline="") as f:
        cases = [r for r in csv.DictReader(f) if r["status"] in OPEN]
    rng = np.random.default_rng(SEED)
    picked = sorted(rng.choice(len(cases), size=COUNT, replace=False).tolist())
    rows: list[dict[str, str]] = []
    for number, index in enumerate(picked, start=1):
        case = cases[index]
        kind = _draw(rng, KINDS)
        blown = datetime.fromisoformat(case["status_at"]) + timedelta(
            minutes=round(float(rng.uniform(20, 600)))
        )
        reason = REASONS[kind][int(rng.integers(len(REASONS[kind])))]
        slots: list[tuple[int, str, datetime | None, datetime | None]] = []
        for slot in range(3):
            outcome = _draw(rng, OUTCOMES)
            ack = blown + timedelta(minutes=round(float(rng.uniform(1, 9))))
            if outcome == "absent":
                slots.append((slot, outcome, ack if rng.random() < 0.5 else None, None))
                continue
            slots.append((slot, outcome, ack, blown + _arrival(rng, kind, outcome)))
        last = max([blown, *(s[3] for s in slots if s[3] is not None)])
        released = last + timedelta(minutes=round(float(rng.uniform(60, 360))))
        for slot, outcome, acked, arrival in slots:
            came = arrival is not None
            low = 85 if outcome == "on_time" else 55
            rows.append(
                {
                    "whistle": str(number),
                    "reported_at": case["reported_at"],
                    "lon": case["lon"],
                    "lat": case["lat"],
                    "datum": case["datum"],
                    "kind": kind,
                    "blown_at": _stamp(blown),
                    "released_at": _stamp(released),
                    "reason": reason,
                    "slot": str(slot),
                    "acknowledged_at": _stamp(acked) if acked else "",
                    "checkin_at": _stamp(arrival) if arrival else "",
                    "accuracy": str(int(rng.integers(8, 61))) if came else "",
                    "efficiency": str(int(rng.integers(low, low + 16))) if came else "",
                    "handling": str(int(rng.integers(70, 101))) if came else "",
                    "satisfaction": str(int(rng.integers(70, 101))) if came else "",
                    "score_reason": SCORE_REASONS[outcome] if came else "",
                }
            )
    return rows


def write_whistles(out_dir: Path) -> list[dict[str, str]]:
    """Write ``out_dir/whistles.csv`` from ``out_dir/incidents.csv``; the rows."""
    rows = build_whistles(out_dir / "incidents.csv")
    write_csv(out_dir / "whistles.csv", FIELDS, rows)
    return rows
