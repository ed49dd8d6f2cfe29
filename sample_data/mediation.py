"""The sample's mediation files: ``mediation_files.csv`` and ``mediation_attempts.csv``.

A share of the sample's disputes (category 01) that were dispatched and signed for, and
never escalated, get a 三二一 ladder (WORKFLOW.md §5) while they are being handled: the grid
worker hands the dispute to the village's mediation committee (two 上报上级 entries, micro-
grid → grid → village), the village has up to 3 attempts, the township 2, the banner 1, and
each climb is an 上报上级 entry of the case's trail (by the village mediator, then the
township), inserted between the 签收 and the trail's next entry, so the ladder and the loop
are one story. Every changed trail is replayed (:func:`cases.loop.replay.replay`) and
``trails.csv`` written again. Most disputes settle in the village, fewer at the township, a
handful at the banner; some go to court. Settled ones get an agreement (written or oral),
judicial confirmation for some, and a follow-up call each (none is left for the
service's sweep to remind of). A few files repeat the parties
of an earlier one (repeat disputes). Deterministic: a seed of its own.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cases.loop.calendar import CHINA
from cases.loop.replay import Case, Entry, Illegal, replay
from sample_data.names import PersonNamer
from sample_data.output import write_csv
from sample_data.trails import sample_clock, write_trails

__all__ = ["ATTEMPT_FIELDS", "FILE_FIELDS", "build_mediation", "write_mediation"]

HERE = Path(__file__).resolve().parent
SEED = 20240514
#: The share of eligible disputes that get a file.
SHARE = 0.3
#: A ladder needs this long between the 签收 and the trail's next entry.
MIN_WINDOW = timedelta(hours=6)
FILE_FIELDS = (
    "line", "intake_on", "source", "dispute_type", "summary", "risk", "rights_notified_on",
    "applicant", "applicant_phone", "respondent", "outcome", "form", "terms", "effective_on",
    "confirmation", "confirmation_on", "called_on", "performed", "satisfaction",
    "remaining_risk",
)  # fmt: skip
ATTEMPT_FIELDS = (
    "line", "level", "rung", "held_at", "outcome", "refused", "mediator", "committee", "record",
)  # fmt: skip
MAX_ATTEMPTS = {"village": 3, "township": 2, "banner": 1}
ABOVE = {"village": "township", "township": "banner"}
#: Per attempt: (upper bound of a uniform draw, outcome, refused), first match wins.
DRAWS = {
    "village": ((0.50, "settled", False), (0.53, "withdrawn", False), (0.55, "to_court", False),
                (0.60, "not_settled", True), (1.0, "not_settled", False)),
    "township": ((0.45, "settled", False), (0.50, "partly", False), (0.58, "to_court", False),
                 (0.61, "to_administration", False), (0.65, "not_settled", True),
                 (1.0, "not_settled", False)),
    "banner": ((0.50, "settled", False), (0.80, "to_court", False), (0.85, "to_petitions", False),
               (1.0, "not_settled", False)),
}  # fmt: skip
#: Who climbs from each rung (the level holding the case): the loop's 上报上级 entry's actor.
CLIMBERS = {"village": "mediator", "township": "township"}
COMMITTEES = {"village": "村（社区）人民调解委员会", "township": "苏木镇人民调解委员会",
              "banner": "旗人民调解委员会"}  # fmt: skip
SOURCES = (("application", 0.55), ("own_initiative", 0.2), ("police", 0.1), ("court", 0.05),
           ("government", 0.1))  # fmt: skip
OUTCOME_TEXT = {
    "settled": "双方达成一致", "partly": "部分事项达成一致",
    "not_settled": "双方分歧较大，未达成一致",
    "withdrawn": "申请人撤回调解申请", "to_court": "告知当事人通过诉讼途径解决",
    "to_administration": "移送行政机关处理", "to_petitions": "引导当事人依法信访",
}  # fmt: skip
REASON = "移交村（社区）人民调解委员会调解"
CLIMB_REASON = "本级调解未成，依三二一调解提级"


def _pick(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...]) -> str:
    r, total = rng.random(), 0.0
    for value, share in weighted:
        total += share
        if r < total:
            return value
    return weighted[-1][0]


def _eligible(row: dict[str, str], trail: list[Entry]) -> int | None:
    """The index of the 签收 after which a ladder fits, or None."""
    if not row["category"].startswith("01") or row["status"] not in ("closed", "evaluated"):
        return None
    if any(e.action == "escalate" for e in trail):
        return None
    signs = [i for i, e in enumerate(trail) if e.action == "sign" and e.kind == "action"]
    if not signs or signs[0] + 1 >= len(trail):
        return None
    at = signs[0]
    return at if trail[at + 1].at - trail[at].at >= MIN_WINDOW else None


def _ladder(rng: np.random.Generator) -> list[tuple[str, int, str, bool]]:
    """The attempts (level, rung, outcome, refused) of one ladder."""
    out: list[tuple[str, int, str, bool]] = []
    level: str | None = "village"
    while level is not None:
        for rung in range(1, MAX_ATTEMPTS[level] + 1):
            r = rng.random()
            outcome, refused = next((o, f) for bound, o, f in DRAWS[level] if r < bound)
            out.append((level, rung, outcome, refused))
            if outcome != "not_settled":
                return out
            if refused:
                break
        level = ABOVE.get(level)
    return out


def _stamp(at: datetime) -> str:
    return at.astimezone(CHINA).isoformat(timespec="seconds")


def build_mediation(
    rows: list[dict[str, str]], trails: list[list[Entry]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The files and attempts; ``trails`` get the ladders' 上报上级 entries (in place)."""
    rng = np.random.default_rng(SEED)
    namer = PersonNamer(rng)
    clock = sample_clock()
    sensitive = _sensitive()
    files: list[dict[str, str]] = []
    attempts: list[dict[str, str]] = []
    for line, (row, trail) in enumerate(zip(rows, trails, strict=True), 1):
        at = _eligible(row, trail)
        if at is None or rng.random() >= SHARE:
            continue
        ladder = _ladder(rng)
        start, end = trail[at].at + timedelta(minutes=5), trail[at + 1].at - timedelta(minutes=5)
        step = (end - start) / (len(ladder) + 1)
        held = [(start + step * (i + 1)).replace(microsecond=0) for i in range(len(ladder))]
        added = [
            Entry("escalate", trail[at].at + timedelta(minutes=2), "grid_worker", {}),
            Entry("escalate", trail[at].at + timedelta(minutes=3), "grid_worker", {}),
        ]
        for (level, _, outcome, refused), t in zip(ladder, held, strict=True):
            climbs = outcome == "not_settled" and level in ABOVE
            if climbs and (refused or _last_of_rung(ladder, level, t, held)):
                added.append(Entry("escalate", t + timedelta(minutes=1), CLIMBERS[level], {}))
        new = [*trail[: at + 1], *added, *trail[at + 1 :]]
        case = Case(row["category"], False, sensitive[row["category"]],
                    datetime.fromisoformat(row["reported_at"]), None)  # fmt: skip
        try:
            if replay(case, new, clock).status != row["status"]:
                continue
        except Illegal:
            continue
        trail[:] = new
        files.append(_file(rng, namer, line, row, ladder, held, files))
        for (level, rung, outcome, refused), t in zip(ladder, held, strict=True):
            attempts.append(
                {
                    "line": str(line),
                    "level": level,
                    "rung": str(rung),
                    "held_at": _stamp(t),
                    "outcome": outcome,
                    "refused": "true" if refused else "false",
                    "mediator": namer.name(0.1),
                    "committee": COMMITTEES[level],
                    "record": f"第{rung}次调解：双方到场陈述，调解员释法说理，"
                    f"{OUTCOME_TEXT[outcome]}。",
                }
            )
    return files, attempts


def _last_of_rung(
    ladder: list[tuple[str, int, str, bool]], level: str, t: datetime, held: list[datetime]
) -> bool:
    """Whether the attempt held at ``t`` is the last one on ``level``'s rung."""
    later = [a for a, h in zip(ladder, held, strict=True) if h > t]
    return not later or later[0][0] != level


def _file(
    rng: np.random.Generator,
    namer: PersonNamer,
    line: int,
    row: dict[str, str],
    ladder: list[tuple[str, int, str, bool]],
    held: list[datetime],
    earlier: list[dict[str, str]],
) -> dict[str, str]:
    intake = held[0].astimezone(CHINA).date() if held else None
    assert intake is not None
    applicant, phone, respondent = row["reporter_name"], row["reporter_phone"], namer.name(0.1)
    if earlier and rng.random() < 0.04:  # the same parties quarrel again
        again = earlier[int(rng.integers(len(earlier)))]
        applicant, phone, respondent = (
            again["applicant"],
            again["applicant_phone"],
            again["respondent"],
        )
    outcome = ladder[-1][2]
    out = {
        "line": str(line), "intake_on": intake.isoformat(), "source": _pick(rng, SOURCES),
        "dispute_type": row["category"], "summary": row["description"],
        "risk": "yellow" if rng.random() < 0.15 else "green",
        "rights_notified_on": intake.isoformat(), "applicant": applicant,
        "applicant_phone": phone, "respondent": respondent, "outcome": outcome,
    }  # fmt: skip
    out |= dict.fromkeys(FILE_FIELDS[11:], "")
    if outcome not in ("settled", "partly"):
        return out
    effective = held[-1].astimezone(CHINA).date()
    confirmation = _pick(rng, (("confirmed", 0.35), ("not_sought", 0.55), ("applied", 0.1)))
    out |= {
        "form": "written" if rng.random() < 0.7 else "oral",
        "terms": "双方就争议事项达成一致，按约定期限履行，今后互不追究。",
        "effective_on": effective.isoformat(), "confirmation": confirmation,
        "confirmation_on": (effective + timedelta(days=int(rng.integers(3, 26)))).isoformat(),
    }  # fmt: skip
    # every agreement of the history had its call: the service's sweep reminds of new ones
    return out | {
        "called_on": (effective + timedelta(days=int(rng.integers(7, 21)))).isoformat(),
        "performed": _pick(rng, (("yes", 0.85), ("partly", 0.1), ("no", 0.05))),
        "satisfaction": _pick(rng, (("satisfied", 0.8), ("basically_satisfied", 0.15),
                                    ("dissatisfied", 0.05))),
        "remaining_risk": _pick(rng, (("none", 0.9), ("low", 0.08), ("high", 0.02))),
    }  # fmt: skip


def _sensitive() -> dict[str, bool]:
    with (HERE / "categories.csv").open(encoding="utf-8", newline="") as f:
        return {r["code"]: r["sensitive"] == "true" for r in csv.DictReader(f)}


def write_mediation(out_dir: Path, history: Any) -> None:
    """Build the files of ``history`` (:class:`sample_data.history.History`), write
    ``mediation_files.csv`` and ``mediation_attempts.csv``, and ``trails.csv`` again with the
    ladders' escalations."""
    files, attempts = build_mediation(history.rows, history.trails)
    write_csv(out_dir / "mediation_files.csv", FILE_FIELDS, files)
    write_csv(out_dir / "mediation_attempts.csv", ATTEMPT_FIELDS, attempts)
    write_trails(out_dir / "trails.csv", history.trails)
