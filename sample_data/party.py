"""The party members' year (达拉特红, 2026): who reported in, the communities' tasks, who claimed
each and how it ended. Its own seed; deterministic.

Three files beside ``members.csv``:

- ``party_registrations.csv``: ``member_id, micro_grid_code, skills, availability,
  registered_at`` for most party members, at the micro-grid they serve; most villages have
  96–100 % of their members reported in, about one in twelve falls short of 95 % (the flag).
- ``party_tasks.csv``: ``task, community_code, title, created_at, starts_at``, a dozen per
  village over January–November 2026.
- ``party_claims.csv``: ``task, member_id, claimed_at, outcome, confirmed_at``: most tasks
  claimed by a registered member of their village; most completed, a few no-shows, the latest
  still unconfirmed (empty ``outcome``).

Times are ISO 8601 in China time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from sample_data.output import write_csv

SEED = 20260415
CHINA = timezone(timedelta(hours=8))
YEAR_START = datetime(2026, 1, 5, 9, 0, tzinfo=CHINA)
TASK_DAYS = 320  # tasks published from early January to late November
TASKS_PER_VILLAGE = 12
SHORT_SHARE = 0.08  # villages under the 95 % report-in threshold
COMPLETED, NO_SHOW = 0.90, 0.06  # of the confirmed claims; the rest of the claims wait
SKILLS = [
    "水电维修", "理发", "法律咨询", "医疗护理", "政策宣讲", "文艺演出", "驾驶",
    "蒙汉双语", "电脑操作", "心理疏导",
]  # fmt: skip
AVAILABILITY = ["周末", "工作日晚上", "随时", "节假日"]
TITLES = [
    "清扫楼道积雪", "入户走访独居老人", "防汛值守", "文明劝导", "垃圾分类宣传",
    "反诈宣传进万家", "义务理发", "惠民政策宣讲", "协助调解邻里纠纷", "草原防火巡查",
    "助老代购", "环境卫生整治",
]  # fmt: skip
REGISTRATION_FIELDS = ("member_id", "micro_grid_code", "skills", "availability", "registered_at")
TASK_FIELDS = ("task", "community_code", "title", "created_at", "starts_at")
CLAIM_FIELDS = ("task", "member_id", "claimed_at", "outcome", "confirmed_at")
FILES = ("party_registrations.csv", "party_tasks.csv", "party_claims.csv")


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _village(code: str) -> str:
    """A micro-grid's village: the sample's codes nest 12 + 2 + 2 digits."""
    return code[:12]


def build_party(
    members: Sequence[dict[str, Any]], rng: np.random.Generator
) -> tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    """Registrations, tasks and claims for the party members of ``members`` (rows of
    ``members.csv``)."""
    by_village: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in members:
        if m["kind"] == "party_member":
            by_village[_village(str(m["area_code"]))].append(m)
    registrations: list[dict[str, str]] = []
    tasks: list[dict[str, str]] = []
    claims: list[dict[str, str]] = []
    for village in sorted(by_village):
        people = sorted(by_village[village], key=lambda m: int(m["id"]))
        short = rng.random() < SHORT_SHARE
        share = rng.uniform(0.80, 0.93) if short else rng.uniform(0.96, 1.0)
        count = min(len(people), round(share * len(people)))
        chosen = sorted(rng.choice(len(people), size=count, replace=False).tolist())
        registered = [people[i] for i in chosen]
        for m in registered:
            skills = rng.choice(len(SKILLS), size=int(rng.integers(0, 3)), replace=False)
            at = YEAR_START + timedelta(minutes=int(rng.integers(0, 80 * 24 * 60)))
            registrations.append(
                {
                    "member_id": str(m["id"]),
                    "micro_grid_code": str(m["area_code"]),
                    "skills": "、".join(SKILLS[int(s)] for s in sorted(skills)),
                    "availability": AVAILABILITY[int(rng.integers(0, len(AVAILABILITY)))],
                    "registered_at": _stamp(at),
                }
            )
        days = np.sort(rng.choice(TASK_DAYS, size=TASKS_PER_VILLAGE, replace=False))
        for day in days.tolist():
            task = str(len(tasks) + 1)
            created = YEAR_START + timedelta(days=day, minutes=int(rng.integers(0, 480)))
            starts = created + timedelta(days=int(rng.integers(2, 8)))
            tasks.append(
                {
                    "task": task,
                    "community_code": village,
                    "title": TITLES[int(rng.integers(0, len(TITLES)))],
                    "created_at": _stamp(created),
                    "starts_at": _stamp(starts),
                }
            )
            if not registered or rng.random() < 0.15:
                continue  # left open
            who = registered[int(rng.integers(0, len(registered)))]
            claimed = created + timedelta(hours=int(rng.integers(1, 40)))
            roll = rng.random()
            recent = day > TASK_DAYS - 12
            outcome = "" if recent else "completed" if roll < COMPLETED else "no_show"
            if not recent and roll >= COMPLETED + NO_SHOW:
                outcome = ""  # claimed, not confirmed yet
            confirmed = _stamp(starts + timedelta(days=1)) if outcome else ""
            claims.append(
                {
                    "task": task,
                    "member_id": str(who["id"]),
                    "claimed_at": _stamp(claimed),
                    "outcome": outcome,
                    "confirmed_at": confirmed,
                }
            )
    return registrations, tasks, claims


def write_party(out_dir: Path, members: Sequence[dict[str, Any]]) -> None:
    """Write the three files of the module's docstring into ``out_dir``."""
    registrations, tasks, claims = build_party(members, np.random.default_rng(SEED))
    write_csv(out_dir / FILES[0], REGISTRATION_FIELDS, registrations)
    write_csv(out_dir / FILES[1], TASK_FIELDS, tasks)
    write_csv(out_dir / FILES[2], CLAIM_FIELDS, claims)
