"""A year of routines in the sample: contacts with households and meetings (issue #16).

Reads what the registry sample wrote (``houses.csv.gz``, ``households.csv.gz``,
``persons.csv.gz``) with the micro-grids and ``members.csv``; writes ``contacts.csv.gz`` (one
row per contact, one household each) and ``meetings.csv``. Each household is contacted about as
often as its strictest tag asks (:data:`CADENCE`; ordinary households twice a year), by the
micro-grid's party member (党员中心户) or the grid's grid worker, with gaps drawn around that
cadence so that some households fall overdue. :data:`NEGLECTED` of the micro-grids are neglected: no
contact at all in the last 20 to 120 days before :data:`END`; every other micro-grid has a
contact in each week (每周问一问) but :data:`WEEKS_MISSED` of them. Grids meet every half month
(半月碰一碰), villages hold a council at the end of each month (月底议一议). Own seed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import shapely

from sample_data.output import read_csv, write_csv

SEED = 20261216
CHINA = timezone(timedelta(hours=8))
#: The sample's routines end here (China time) and start a year before.
END = datetime(2026, 12, 4, 8, 0, tzinfo=CHINA)
START = END - timedelta(days=365)
#: Visit cadence in days by tag (the registry's tag_kind data; ordinary 182).
CADENCE = {
    "elderly_alone": 30,
    "low_income": 30,
    "migrant": 30,
    "community_correction": 30,
    "drug_rehab": 30,
    "mental_health": 30,
    "disabled": 90,
    "left_behind": 90,
}
ORDINARY = 182
#: Share of micro-grids neglected at the end of the year.
NEGLECTED = 0.04
#: Share of a micro-grid's empty weeks that stay without its weekly contact.
WEEKS_MISSED = 0.08
CHANNELS = ("visit", "phone", "wechat", "chance")
CHANNEL_SHARES = (0.55, 0.25, 0.15, 0.05)
CUMULATIVE = np.cumsum(CHANNEL_SHARES)[:-1]
NEEDS = (
    "反映楼道照明损坏",
    "咨询低保年审材料",
    "希望增设健身器材",
    "反映邻里噪音",
    "咨询医保缴费",
    "反映路面积水",
    "需要代办老年证",
    "反映供暖不热",
)
ISSUES = ("环境卫生整治", "矛盾纠纷排查", "重点人员走访情况", "安全隐患排查", "民生诉求汇总")
DECISIONS = ("责任到人，限期整改", "提交村（社区）两委研究", "上报镇网格中心", "纳入下月议事")
CONTACT_FIELDS = ("at", "member_id", "channel", "household_code", "needs")
#: How far apart a household's contacts fall, as multiples of its cadence: monthly ones are
#: often late (compliance is the point of the coverage map), ordinary ones about on time.
GAPS = {30: (0.9, 2.0), 90: (0.8, 1.6), ORDINARY: (0.6, 1.3)}
MEETING_FIELDS = ("kind", "area_code", "at", "attendees", "issues", "decisions")


def _rows(path: Path) -> list[dict[str, str]]:
    return read_csv(path)


def _micro_grids(folder: Path) -> tuple[list[str], list[shapely.Geometry]]:
    data = json.loads((folder / "areas" / "micro_grid.geojson").read_text(encoding="utf-8"))
    codes = [f["properties"]["code"] for f in data["features"]]
    shapes = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
    return codes, shapes


def place_houses(folder: Path) -> dict[str, str]:
    """Each house's micro-grid code by house code (point in polygon)."""
    codes, shapes = _micro_grids(folder)
    houses = _rows(folder / "houses.csv.gz")
    points = shapely.points([float(h["lon"]) for h in houses], [float(h["lat"]) for h in houses])
    tree = shapely.STRtree(shapes)
    found, grid = tree.query(points, predicate="within")
    where = dict(zip(found.tolist(), grid.tolist(), strict=True))
    return {h["code"]: codes[where[i]] for i, h in enumerate(houses) if i in where}


def cadences(folder: Path) -> dict[str, int]:
    """Each household's cadence in days: its persons' strictest tag, else ordinary."""
    every: dict[str, int] = defaultdict(lambda: ORDINARY)
    for p in _rows(folder / "persons.csv.gz"):
        for tag in filter(None, re.split(r"[;,|\s]+", p.get("tags") or "")):
            every[p["household_code"]] = min(every[p["household_code"]], CADENCE.get(tag, ORDINARY))
    return every


def _daytime(rng: np.random.Generator, day: datetime) -> datetime:
    minutes = int(rng.integers(8 * 60, 19 * 60))
    return day.replace(hour=0, minute=0) + timedelta(minutes=minutes)


def build_contacts(folder: Path, rng: np.random.Generator) -> list[dict[str, str]]:
    """The year's contacts, oldest first (the loader numbers them by line)."""
    houses = place_houses(folder)
    every = cadences(folder)
    party: dict[str, str] = {}
    workers: dict[str, str] = {}
    for m in _rows(folder / "members.csv"):
        if m["kind"] == "party_member":
            party.setdefault(m["area_code"], m["id"])
        elif m["kind"] == "grid_worker":
            workers.setdefault(m["area_code"], m["id"])
    micro_grids = sorted(set(houses.values()))
    neglect = {
        mg: END - timedelta(days=int(rng.integers(20, 121)))
        for mg in micro_grids
        if rng.random() < NEGLECTED
    }
    contacts: list[tuple[datetime, dict[str, str]]] = []
    rows = _rows(folder / "households.csv.gz")
    for h in rows:
        if h["house_code"] not in houses:
            continue
        mg = houses[h["house_code"]]
        cadence = every[h["code"]]
        stop = neglect.get(mg, END)
        at = START + timedelta(days=float(rng.uniform(0, cadence)))
        while at < stop:
            when = _daytime(rng, at)
            if when < stop:
                contacts.append((when, _contact(rng, h["code"], mg, party, workers)))
            at += timedelta(days=cadence * float(rng.uniform(*GAPS[cadence])))
    by_mg: dict[str, list[str]] = defaultdict(list)
    for h in rows:
        if h["house_code"] in houses:
            by_mg[houses[h["house_code"]]].append(h["code"])
    contacts += _weekly(rng, contacts, by_mg, neglect, party, workers)
    contacts.sort(key=lambda c: (c[0], c[1]["household_code"]))
    return [{"at": _when(when), **row} for when, row in contacts]


def _weekly(
    rng: np.random.Generator,
    contacts: list[tuple[datetime, dict[str, str]]],
    households: dict[str, list[str]],
    neglect: dict[str, datetime],
    party: dict[str, str],
    workers: dict[str, str],
) -> list[tuple[datetime, dict[str, str]]]:
    """每周问一问: a week of a micro-grid without any contact gets one (a call or a word with a
    household), but for :data:`WEEKS_MISSED` of such weeks and after a neglected micro-grid's
    last contact."""
    of = {h: mg for mg, hs in households.items() for h in hs}
    weeks_seen = {(of[c["household_code"]], (at - START).days // 7) for at, c in contacts}
    added = []
    for mg in sorted(households):
        for week in range(53):
            day = START + timedelta(days=7 * week + int(rng.integers(0, 7)))
            if (mg, week) in weeks_seen or rng.random() < WEEKS_MISSED:
                continue
            when = _daytime(rng, day)
            if when >= neglect.get(mg, END):
                continue
            household = households[mg][int(rng.integers(len(households[mg])))]
            added.append((when, _contact(rng, household, mg, party, workers)))
    return added


def _when(at: datetime) -> str:
    """China time to the minute, short: ``2026-03-14T09:35+08``."""
    return at.strftime("%Y-%m-%dT%H:%M+08")


def _contact(
    rng: np.random.Generator,
    household: str,
    mg: str,
    party: dict[str, str],
    workers: dict[str, str],
) -> dict[str, str]:
    member = party.get(mg) if rng.random() < 0.6 else None
    channel = CHANNELS[int(np.searchsorted(CUMULATIVE, rng.random(), side="right"))]
    return {
        "member_id": member or workers[mg[:14]],
        "channel": channel,
        "household_code": household,
        "needs": NEEDS[int(rng.integers(len(NEEDS)))] if rng.random() < 0.1 else "",
    }


def build_meetings(folder: Path, rng: np.random.Generator) -> list[dict[str, str]]:
    """Half-monthly grid meetings and monthly village councils over the year."""
    names: dict[str, list[str]] = defaultdict(list)
    for m in _rows(folder / "members.csv"):
        if m["kind"] in ("party_member", "grid_worker"):
            names[m["area_code"][:14]].append(m["name"])
    meetings = []
    for grid in sorted(names):
        day = START + timedelta(days=int(rng.integers(0, 15)))
        while day < END:
            meetings.append(_meeting(rng, "grid_meeting", grid, _daytime(rng, day), names[grid]))
            day += timedelta(days=15)
    villages = sorted({grid[:12] for grid in names})
    month = START.replace(day=28)
    while month < END:
        for village in villages:
            attendees = [n for g, ns in names.items() if g.startswith(village) for n in ns[:1]]
            meetings.append(
                _meeting(rng, "village_council", village, _daytime(rng, month), attendees)
            )
        month = (month + timedelta(days=7)).replace(day=28)
    meetings.sort(key=lambda m: (m["at"], m["area_code"]))
    return meetings


def _meeting(
    rng: np.random.Generator, kind: str, area: str, at: datetime, attendees: list[str]
) -> dict[str, str]:
    return {
        "kind": kind,
        "area_code": area,
        "at": _when(at),
        "attendees": ";".join(attendees[:8]),
        "issues": ISSUES[int(rng.integers(len(ISSUES)))],
        "decisions": DECISIONS[int(rng.integers(len(DECISIONS)))],
    }


def write_routines(out_dir: Path) -> tuple[int, int]:
    """Write ``contacts.csv.gz`` and ``meetings.csv``; how many of each."""
    rng = np.random.default_rng(SEED)
    contacts = build_contacts(out_dir, rng)
    meetings = build_meetings(out_dir, rng)
    write_csv(out_dir / "contacts.csv.gz", CONTACT_FIELDS, contacts)
    write_csv(out_dir / "meetings.csv", MEETING_FIELDS, meetings)
    return len(contacts), len(meetings)
