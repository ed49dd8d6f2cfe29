"""The 人地事物组织 registry of the sample: houses, households, persons with tags, facilities
and organisations, for the whole banner (writes ``houses.csv.gz``, ``households.csv.gz``,
``persons.csv.gz``, ``facilities.csv``, ``organisations.csv``).

Every resident the areas were counted from (:attr:`sample_data.areas.Areas.residents`) is one
person, so each micro-grid holds exactly its population. A micro-grid's residents are cut
into households of 1–6; a household lives in a house at its first resident's point (strictly
inside the micro-grid), some 8 % of houses holding a second, renting household.

Nobody's data: the names are drawn as the members' are; the ID numbers carry the banner's
region code 150621, a plausible birth date and a sequence number from the reserved range
900–999 (with a valid check character); every phone is ``17000`` and six digits (reserved for
tests). Tags come in realistic shares of persons (:data:`TAG_SHARES`). Own seed, so the rest
of the sample does not change when this one does.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import shapely

from cases.registry.idnumber import check_character
from sample_data.areas import Areas
from sample_data.names import PersonNamer
from sample_data.output import format_coord, write_csv

SEED = 20261204
REGION = "150621"
#: Sequence numbers (characters 15–17 of an ID number) nobody is given: 900–999.
SEQUENCE_FROM = 900
PHONE_PREFIX = "17000"
#: Share of households of each size 1…6 (mean ≈ 2.7 persons).
HOUSEHOLD_SIZES = np.array([0.22, 0.30, 0.26, 0.14, 0.06, 0.02])
SHARED_HOUSE = 0.08
#: Share of persons carrying each tag.
TAG_SHARES = {
    "elderly_alone": 0.06,
    "low_income": 0.04,
    "migrant": 0.10,
    "community_correction": 0.002,
    "disabled": 0.015,
    "left_behind": 0.01,
    "mental_health": 0.003,
    "drug_rehab": 0.0005,
}
FACILITY_KINDS = ("消防栓", "监控探头", "路灯", "窨井盖", "垃圾收集点", "应急避难场所")
FACILITY_STATES = ("完好", "完好", "完好", "待维修", "停用")
FACILITY_COUNT = 3_000
ORGANISATION_COUNT = 400
ORGANISATION_KINDS = ("企业", "个体工商户", "学校", "医疗机构", "社会组织", "党组织", "物业公司")
ORG_WORDS = ("鑫源", "恒达", "兴旺", "草原", "黄河", "金穗", "绿洲", "永盛", "安康", "和顺")
USES = ("住宅", "住宅", "住宅", "住宅", "商住", "商铺")
STRUCTURES = ("砖混", "框架", "砖木", "土木")

HOUSE_FIELDS = ("code", "lon", "lat", "use", "structure", "rented")
HOUSEHOLD_FIELDS = ("code", "house_code")
PERSON_FIELDS = (
    "household_code", "name", "id_number", "phone", "ethnicity", "residence_type",
    "party_member", "tags",
)  # fmt: skip
FACILITY_FIELDS = ("code", "kind", "owner_unit", "state", "lon", "lat")
ORGANISATION_FIELDS = (
    "code", "name", "address", "kind", "key_unit", "party_members", "legal_person",
    "contact_phone", "lon", "lat",
)  # fmt: skip


def id_number(born: np.datetime64, sequence: int) -> str:
    """A synthetic ID number of the banner.

    >>> id_number(np.datetime64("1980-01-01"), 901)
    '150621198001019012'
    """
    first17 = REGION + str(born).replace("-", "") + f"{sequence:03d}"
    return first17 + check_character(first17)


class _Numbers:
    """Distinct ID numbers per birth date (sex in the sequence's parity) and distinct phones."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._used: Counter[tuple[np.datetime64, int]] = Counter()
        self._phones = rng.permutation(1_000_000)
        self._next_phone = 0

    def id_number(self, born: np.datetime64, male: bool) -> str:
        while self._used[(born, male)] >= 50:
            born = born + np.timedelta64(1, "D")
        k = self._used[(born, male)]
        self._used[(born, male)] += 1
        return id_number(born, SEQUENCE_FROM + 2 * k + int(male))

    def phone(self) -> str:
        number = int(self._phones[self._next_phone])
        self._next_phone += 1
        return f"{PHONE_PREFIX}{number:06d}"


def _birth(rng: np.random.Generator, low: int, high: int) -> np.datetime64:
    """A birth date for an age between ``low`` and ``high`` years on 2026-12-01."""
    days = int(rng.integers(low * 365 + 1, high * 365 + 300))
    return np.datetime64("2026-12-01") - np.timedelta64(days, "D")


def _households(areas: Areas, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Residents cut into households, micro-grid by micro-grid: member index arrays and the
    micro-grid of each."""
    order = np.argsort(areas.resident_micro, kind="stable")
    micro = areas.resident_micro[order]
    starts = np.searchsorted(micro, np.arange(micro.max() + 2))
    groups: list[np.ndarray] = []
    owner: list[int] = []
    for m in range(len(starts) - 1):
        pool = order[starts[m] : starts[m + 1]]
        at = 0
        while at < len(pool):
            size = int(rng.choice(6, p=HOUSEHOLD_SIZES)) + 1
            groups.append(pool[at : at + size])
            owner.append(m)
            at += size
    return groups, np.array(owner)


def _house_points(areas: Areas, groups: list[np.ndarray], micro: np.ndarray) -> np.ndarray:
    """Each household's first resident's point, rounded; if that is not strictly inside its
    micro-grid, another member's, else a point on the micro-grid's surface."""
    geoms = areas.levels["micro_grid"].geoms
    points = np.round(areas.residents[[g[0] for g in groups]], 7)
    inside = shapely.contains_properly(geoms[micro], shapely.points(points))
    for i in np.flatnonzero(~inside):
        for r in groups[i][1:]:
            p = np.round(areas.residents[r], 7)
            if shapely.contains_properly(geoms[micro[i]], shapely.Point(p)):
                points[i] = p
                break
        else:
            s = shapely.point_on_surface(geoms[micro[i]])
            points[i] = (round(s.x, 7), round(s.y, 7))
    return points


def _tags(
    groups: list[np.ndarray], ages: np.ndarray, rng: np.random.Generator
) -> dict[int, list[str]]:
    """Tags per person index, household-wide where the tag is (low income, migrant)."""
    persons = sum(len(g) for g in groups)
    tags: dict[int, list[str]] = {}
    singles = [g[0] for g in groups if len(g) == 1]
    for p in rng.permutation(singles)[: int(TAG_SHARES["elderly_alone"] * persons)]:
        tags.setdefault(int(p), []).append("elderly_alone")
    for tag in ("low_income", "migrant"):
        goal, done = TAG_SHARES[tag] * persons, 0
        for h in rng.permutation(len(groups)):
            if done >= goal:
                break
            for p in groups[h]:
                tags.setdefault(int(p), []).append(tag)
            done += len(groups[h])
    adults = np.flatnonzero(ages >= 18)
    for tag in ("community_correction", "disabled", "mental_health", "drug_rehab"):
        for p in rng.choice(adults, size=int(TAG_SHARES[tag] * persons), replace=False):
            tags.setdefault(int(p), []).append(tag)
    young_or_old = np.flatnonzero((ages < 16) | (ages >= 65))
    for p in rng.choice(young_or_old, size=int(TAG_SHARES["left_behind"] * persons), replace=False):
        tags.setdefault(int(p), []).append("left_behind")
    return tags


def write_registry(out_dir: Path, areas: Areas) -> dict[str, int]:
    """Write the five registry CSVs into ``out_dir``; their row counts."""
    rng = np.random.default_rng(SEED)
    namer, numbers = PersonNamer(rng), _Numbers(rng)
    lv = areas.levels
    township = lv["village"].parent[lv["grid"].parent[lv["micro_grid"].parent]]
    sumu = np.array([name.endswith("苏木") for name in lv["township"].names])[township]
    groups, micro = _households(areas, rng)
    points = _house_points(areas, groups, micro)
    n_persons = len(areas.residents)
    singles = {int(g[0]) for g in groups if len(g) == 1}
    ages = np.array([int(rng.integers(0, 80)) for _ in range(n_persons)])
    for p in singles:
        ages[p] = max(ages[p], 20)
    tags = _tags(groups, ages, rng)
    for p, labels in tags.items():
        if "elderly_alone" in labels:
            ages[p] = int(rng.integers(65, 92))

    houses: list[dict[str, str]] = []
    households: list[dict[str, str]] = []
    persons: list[dict[str, str]] = []
    house_of = 0
    for h, group in enumerate(groups):
        shares = h > 0 and micro[h] == micro[h - 1] and rng.random() < SHARED_HOUSE
        if not shares:
            house_of = len(houses)
            houses.append(
                {
                    "code": f"FW{house_of + 1:07d}",
                    "lon": format_coord(points[h, 0]),
                    "lat": format_coord(points[h, 1]),
                    "use": USES[rng.integers(len(USES))],
                    "structure": STRUCTURES[rng.integers(len(STRUCTURES))],
                    "rented": "false",
                }
            )
        else:
            houses[house_of]["rented"] = "true"
        code = f"HH{h + 1:07d}"
        households.append({"code": code, "house_code": houses[house_of]["code"]})
        mongolian = 0.35 if sumu[micro[h]] else 0.06
        for p in group:
            is_mongolian = bool(rng.random() < mongolian)
            labels = tags.get(int(p), [])
            male = bool(rng.random() < 0.5)
            persons.append(
                {
                    "household_code": code,
                    "name": namer.name(1.0 if is_mongolian else 0.0),
                    "id_number": numbers.id_number(_birth(rng, ages[p], ages[p]), male),
                    "phone": numbers.phone() if ages[p] >= 16 else "",
                    "ethnicity": "蒙古族" if is_mongolian else "汉族",
                    "residence_type": "floating" if "migrant" in labels else "registered",
                    "party_member": "true" if ages[p] >= 18 and rng.random() < 0.04 else "false",
                    "tags": ";".join(labels),
                }
            )
    facilities = _facilities(areas, rng)
    organisations = _organisations(areas, namer, numbers, rng)
    write_csv(out_dir / "houses.csv.gz", HOUSE_FIELDS, houses)
    write_csv(out_dir / "households.csv.gz", HOUSEHOLD_FIELDS, households)
    write_csv(out_dir / "persons.csv.gz", PERSON_FIELDS, persons)
    write_csv(out_dir / "facilities.csv", FACILITY_FIELDS, facilities)
    write_csv(out_dir / "organisations.csv", ORGANISATION_FIELDS, organisations)
    return {
        "houses": len(houses),
        "households": len(households),
        "persons": len(persons),
        "facilities": len(facilities),
        "organisations": len(organisations),
    }


def _spots(areas: Areas, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` residents' points strictly inside their micro-grid, and those micro-grids."""
    pick = rng.choice(len(areas.residents), size=n * 2, replace=False)
    points = np.round(areas.residents[pick], 7)
    micro = areas.resident_micro[pick]
    inside = shapely.contains_properly(
        areas.levels["micro_grid"].geoms[micro], shapely.points(points)
    )
    return points[inside][:n], micro[inside][:n]


def _facilities(areas: Areas, rng: np.random.Generator) -> list[dict[str, str]]:
    points, _ = _spots(areas, FACILITY_COUNT, rng)
    return [
        {
            "code": f"SS{i + 1:06d}",
            "kind": FACILITY_KINDS[rng.integers(len(FACILITY_KINDS))],
            "owner_unit": ("住建局", "公安局", "城管局", "应急管理局")[rng.integers(4)],
            "state": FACILITY_STATES[rng.integers(len(FACILITY_STATES))],
            "lon": format_coord(x),
            "lat": format_coord(y),
        }
        for i, (x, y) in enumerate(points)
    ]


def _organisations(
    areas: Areas, namer: PersonNamer, numbers: _Numbers, rng: np.random.Generator
) -> list[dict[str, str]]:
    points, micro = _spots(areas, ORGANISATION_COUNT, rng)
    names = areas.levels["micro_grid"].names
    out = []
    for i, ((x, y), m) in enumerate(zip(points, micro, strict=True)):
        kind = ORGANISATION_KINDS[rng.integers(len(ORGANISATION_KINDS))]
        word = ORG_WORDS[rng.integers(len(ORG_WORDS))]
        out.append(
            {
                "code": f"ZZ{i + 1:05d}",
                "name": f"达拉特旗{word}{kind}{i + 1}",
                "address": f"{names[m]}{int(rng.integers(1, 200))}号",
                "kind": kind,
                "key_unit": "true" if rng.random() < 0.1 else "false",
                "party_members": str(int(rng.integers(0, 30))),
                "legal_person": namer.name(0.06),
                "contact_phone": numbers.phone(),
                "lon": format_coord(x),
                "lat": format_coord(y),
            }
        )
    return out
