"""The district's departments, routing, members and incident history."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import numpy as np
import shapely

from sample_data.areas import Level
from sample_data.haibowan.areas import inside as _inside
from sample_data.haibowan.spec import (
    DEPARTMENT_PREFIX,
    FIRST_MEMBER_ID,
    INCIDENTS,
    NAME,
    SAMPLE_DIR,
    TOWNSHIPS,
)
from sample_data.names import DEPARTMENTS, PersonNamer, unique_phones

__all__ = ["INCIDENT_FIELDS", "build_incidents", "build_members", "departments", "routing"]


def build_members(levels: dict[str, Level], rng: np.random.Generator) -> list[dict[str, str]]:
    """Leaders (four per street or town), instructors (one per two grids, the district's
    departments in turn), one grid worker per grid and party members in the micro-grids."""
    namer = PersonNamer(rng)
    grid, micro, township = levels["grid"], levels["micro_grid"], levels["township"]
    rows: list[tuple[str, str, str, str, str]] = []  # kind, area code, department, title, home

    def add(
        kind: str, geom: shapely.Geometry, code: str, department: str = "", title: str = ""
    ) -> None:
        lon, lat = _inside(geom, rng)
        rows.append((kind, code, department, title, f"{lon:.7f},{lat:.7f}"))

    for t, t_code in enumerate(township.codes):
        grids = [g for g, c in enumerate(grid.codes) if c.startswith(t_code)]
        titles = ("党工委书记", "办事处主任", "政法委员", "综治中心主任")
        if TOWNSHIPS[t][2] == "town":
            titles = ("党委书记", "镇长", "政法委员", "综治中心主任")
        for i, title in enumerate(titles):
            g = grids[i * len(grids) // len(titles)]
            add("leader", grid.geoms[g], grid.codes[g], "", township.names[t] + title)
    for i in range(0, len(grid.codes), 2):
        department = f"{DEPARTMENT_PREFIX}{(i // 2) % len(DEPARTMENTS) + 1:02d}"
        add("instructor", grid.geoms[i], grid.codes[i], department, "指导员")
    for g, code in enumerate(grid.codes):
        add("grid_worker", grid.geoms[g], code, "", "专职网格员")
    share = micro.population / micro.population.sum()
    party = np.maximum(1, np.rint(share * 2 * len(micro.codes))).astype(np.int64)
    for m, code in enumerate(micro.codes):
        for _ in range(int(party[m])):
            add("party_member", micro.geoms[m], code)
    phones = unique_phones(len(rows), rng)
    out = []
    for i, (kind, code, department, title, home) in enumerate(rows):
        lon, lat = home.split(",")
        out.append({
            "id": str(FIRST_MEMBER_ID + i), "kind": kind, "name": namer.name(0.04),
            "phone": phones[i], "home_lon": lon, "home_lat": lat, "area_code": code,
            "department_code": department, "title": title,
        })  # fmt: skip
    return out


def departments() -> list[dict[str, str]]:
    """The district's own departments, numbered as Dalad's so that routing maps across."""
    names = [n.replace("达拉特旗", NAME).replace("鄂尔多斯市", "乌海市") for n in DEPARTMENTS]
    return [{"code": f"{DEPARTMENT_PREFIX}{i + 1:02d}", "name": n} for i, n in enumerate(names)]


def _categories() -> list[dict[str, str]]:
    with (SAMPLE_DIR / "categories.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def routing(levels: dict[str, Level]) -> list[dict[str, str]]:
    """Every minor category in every street and town to the district's department of its
    number."""
    return [
        {"category_code": c["code"], "township_code": t,
         "department_code": DEPARTMENT_PREFIX + c["department_code"][1:]}
        for t in levels["township"].codes
        for c in _categories()
        if c["parent_code"]  # cases carry minor categories, which routing looks up
    ]  # fmt: skip


#: Categories a city district reports, with relative weights (no grassland or river flood).
_INCIDENT_WEIGHTS = {
    "0101": 12, "0102": 6, "0104": 4, "0105": 9, "0108": 3, "0110": 3, "0201": 4, "0203": 3,
    "0302": 5, "0303": 4, "0305": 3, "0306": 3, "0307": 2, "0401": 8, "0402": 4, "0403": 3,
    "0501": 6, "0502": 4, "0503": 3, "0505": 6, "0601": 3, "0604": 6, "0606": 4, "0607": 3,
    "0608": 2,
}  # fmt: skip


def build_incidents(levels: dict[str, Level], rng: np.random.Generator) -> list[dict[str, str]]:
    """:data:`INCIDENTS` incidents in 2023-2024 (China time), placed by population, in the
    importer's CSV format; WGS-84 coordinates at 6 decimals. Almost all are closed (some
    evaluated), the newest few still reported."""
    cst = timezone(timedelta(hours=8))
    names = {c["code"]: c["name"] for c in _categories()}
    codes = list(_INCIDENT_WEIGHTS)
    weights = np.array([_INCIDENT_WEIGHTS[c] for c in codes], dtype=np.float64)
    micro, village = levels["micro_grid"], levels["village"]
    village_name = dict(zip(village.codes, village.names, strict=True))
    share = micro.population / micro.population.sum()
    start = datetime(2023, 1, 1, tzinfo=cst)
    span = (datetime(2025, 1, 1, tzinfo=cst) - start).total_seconds()
    stamps = sorted(
        start + timedelta(seconds=float(s)) for s in rng.uniform(0, span - 86_400 * 8, INCIDENTS)
    )
    namer = PersonNamer(rng)
    phones = unique_phones(INCIDENTS, rng)
    out = []
    for i, reported in enumerate(stamps):
        m = int(rng.choice(len(micro.codes), p=share))
        lon, lat = _inside(micro.geoms[m], rng)
        category = codes[int(rng.choice(len(codes), p=weights / weights.sum()))]
        occurred = reported - timedelta(minutes=int(rng.integers(10, 60 * 24)))
        roll = rng.random()
        status = "reported" if i >= INCIDENTS - 5 else ("evaluated" if roll < 0.6 else "closed")
        done = reported + timedelta(minutes=int(rng.integers(60 * 6, 60 * 24 * 6)))
        out.append({
            "lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "datum": "wgs84", "category": category,
            "description": f"{village_name[micro.codes[m][:12]]}{names[category]}，请尽快处理。",
            "occurred_at": occurred.isoformat(), "reported_at": reported.isoformat(),
            "status": status, "status_at": "" if status == "reported" else done.isoformat(),
            "reporter_name": namer.name(0.04), "reporter_phone": phones[i],
        })  # fmt: skip
    return out


INCIDENT_FIELDS = (
    "lon", "lat", "datum", "category", "description", "occurred_at", "reported_at", "status",
    "status_at", "reporter_name", "reporter_phone",
)  # fmt: skip
