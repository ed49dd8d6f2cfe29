"""Importing households and persons from an office's file (:mod:`cases.registry.reading`),
all or nothing.

Every row is checked and every refusal reported with its line and field: a required value
missing; an ID number whose check character (GB 11643) is wrong; a person twice in the file
(the same household: a duplicate; another: "in two households") or already registered; a
house outside every micro-grid or outside the importer's area; a household already in
another house. With any refusal nothing is written. Otherwise new houses (placed by
:mod:`cases.registry.places`), households, persons and tags are written set-wise with
``COPY`` in one transaction, with one audit entry (``registry.import``: who, which file,
the counts).

Examples
--------
>>> r = RegistryReport("a.csv", "csv", rows=2, refused=[Refusal(3, "id_number", "bad")])
>>> r.as_dict()["refused"], r.written
([{'line': 3, 'field': 'id_number', 'reason': 'bad'}], False)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from access import audit
from access.audit import SYSTEM, Actor
from cases.registry import idnumber
from cases.registry.load import copy_rows
from cases.registry.marks import RESIDENCE
from cases.registry.places import micro_grids
from cases.registry.reading import COLUMNS, REQUIRED, read_sheet
from cases.registry.sql import query
from geo.areas import current_generation
from geo.scope import WHOLE_BANNER, Scope

Progress = Callable[[str, int, int], None]
_YES = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False, "": False}
_SEPARATORS = str.maketrans({"、": ";", ",": ";", "，": ";", "；": ";"})


@dataclass(frozen=True)
class Refusal:
    line: int
    field: str
    reason: str


@dataclass
class RegistryReport:
    file: str
    format: str
    rows: int
    refused: list[Refusal] = field(default_factory=list)
    written: bool = False
    houses: int = 0
    households: int = 0
    persons: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "written": self.written,
            "houses": self.houses,
            "households": self.households,
            "persons": self.persons,
            "refused": [
                {"line": r.line, "field": r.field, "reason": r.reason} for r in self.refused
            ],
        }

    def summary(self) -> str:
        if self.written:
            return (
                f"wrote {self.persons} persons of {self.rows} rows: {self.households} new "
                f"households, {self.houses} new houses"
            )
        lines = [f"refused {len(self.refused)} problem(s) in {self.rows} rows; nothing written"]
        lines += [f"line {r.line}: {r.field} ({COLUMNS.get(r.field, r.field)}): {r.reason}"
                  for r in self.refused]  # fmt: skip
        return "\n".join(lines)


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    id_number: str = ""
    id_hash: str = ""
    lon: float = math.nan
    lat: float = math.nan
    tags: list[str] = field(default_factory=list)
    residence: str | None = None
    party: bool = False


class _Checker:
    def __init__(self, tags: dict[str, str], key: str) -> None:
        self.tags = tags  # tag or label → tag
        self.key = key
        self.refused: list[Refusal] = []

    def refuse(self, line: int, name: str, reason: str) -> None:
        self.refused.append(Refusal(line, name, reason))

    def row(self, line: int, values: dict[str, str]) -> _Row:
        row = _Row(line, values)
        for name in REQUIRED:
            if not values.get(name):
                self.refuse(line, name, "is required")
        number = idnumber.normalise(values.get("id_number", ""))
        if number:
            problem = idnumber.problem(number)
            if problem:
                self.refuse(line, "id_number", problem)
            else:
                row.id_number, row.id_hash = number, idnumber.id_hash(number, self.key)
        for name in ("lon", "lat"):
            text = values.get(name, "")
            try:
                value = float(text) if text else math.nan
            except ValueError:
                value = math.nan
            if text and not math.isfinite(value):
                self.refuse(line, name, f"must be a number in CGCS2000 degrees, got {text!r}")
            setattr(row, name, value)
        kind = values.get("residence_type", "")
        row.residence = RESIDENCE.get(kind, kind) or "registered"
        if row.residence not in RESIDENCE.values():
            self.refuse(line, "residence_type", "must be 户籍, 流动 or 境外")
        party = values.get("party_member", "").lower()
        if party not in _YES:
            self.refuse(line, "party_member", "must be 是 or 否")
        row.party = _YES.get(party, False)
        for tag in filter(None, (t.strip() for t in values.get("tags", "").translate(
                _SEPARATORS).split(";"))):  # fmt: skip
            if tag not in self.tags:
                self.refuse(line, "tags", f"unknown tag {tag!r}")
            else:
                row.tags.append(self.tags[tag])
        phone = values.get("phone", "").replace("-", "").replace(" ", "")
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
            self.refuse(line, "phone", "must be a phone number of 7 to 12 digits")
        return row


def _duplicates(rows: list[_Row], checker: _Checker) -> None:
    first: dict[str, _Row] = {}
    house_of: dict[str, tuple[str, int]] = {}
    for row in rows:
        household, house = row.values.get("household", ""), row.values.get("house", "")
        if household and house:
            seen = house_of.setdefault(household, (house, row.line))
            if seen[0] != house:
                checker.refuse(row.line, "house", f"household {household} is in house "
                               f"{seen[0]} on line {seen[1]}")  # fmt: skip
        if not row.id_hash:
            continue
        other = first.setdefault(row.id_hash, row)
        if other is row:
            continue
        if other.values.get("household") == household:
            checker.refuse(row.line, "id_number", f"duplicate of line {other.line}")
        else:
            checker.refuse(
                row.line,
                "id_number",
                "a person in two households: also in "
                f"household {other.values.get('household')} on line {other.line}",
            )


def _against_database(
    conn: Connection, rows: list[_Row], checker: _Checker, scope: Scope
) -> dict[str, str]:
    """Refusals against what is stored; the stored houses' micro-grid codes by house code."""
    found = conn.execute(
        query("import_known"),
        {
            "hashes": sorted({r.id_hash for r in rows if r.id_hash}),
            "households": sorted({r.values.get("household", "") for r in rows}),
            "houses": sorted({r.values.get("house", "") for r in rows}),
        },
    ).all()
    persons = {f.key: f.owner for f in found if f.what == "person"}
    households = {f.key: (f.owner, f.micro_grid) for f in found if f.what == "household"}
    houses = {f.key: f.micro_grid for f in found if f.what == "house"}
    for row in rows:
        if row.id_hash in persons:
            checker.refuse(
                row.line,
                "id_number",
                "already registered in household "
                f"{persons[row.id_hash]}: a person is in one household only",
            )
        household = row.values.get("household", "")
        if household in households and households[household][0] != row.values.get("house"):
            checker.refuse(
                row.line,
                "household",
                f"household {household} is registered in house {households[household][0]}",
            )
        house = row.values.get("house", "")
        if house in houses and not scope.covers(houses[house]):
            checker.refuse(row.line, "house", f"house {house} is outside your area")
    return houses


def _place_new_houses(
    conn: Connection, rows: list[_Row], stored: dict[str, str], checker: _Checker, scope: Scope
) -> list[tuple[str, str, float, float, int]]:
    """New houses (code, address, lon, lat, micro-grid id) at their first row's point;
    refusals for rows whose new house lies outside every micro-grid or the importer's area."""
    first: dict[str, _Row] = {}
    for row in rows:
        house = row.values.get("house", "")
        if house and house not in stored and math.isfinite(row.lon) and math.isfinite(row.lat):
            first.setdefault(house, row)
    codes = list(first)
    lon = np.array([first[c].lon for c in codes])
    lat = np.array([first[c].lat for c in codes])
    ids = micro_grids(conn, lon, lat, current_generation(conn))
    area_codes: dict[int, str] = dict(
        conn.execute(query("area_codes"), {"ids": [int(i) for i in ids if i]}).all()
    )
    placed, bad = [], {}
    for code, micro in zip(codes, ids.tolist(), strict=True):
        row = first[code]
        if not micro:
            bad[code] = f"({row.lon}, {row.lat}) lies outside every micro-grid"
        elif not scope.covers(area_codes[micro]):
            bad[code] = f"house {code} lies outside your area"
        else:
            placed.append((code, row.values["address"], row.lon, row.lat, micro))
    for row in rows:
        if row.values.get("house") in bad:
            checker.refuse(row.line, "lon", bad[row.values["house"]])
    return placed


def check_and_write(
    conn: Connection, path: Path, *, key: str, scope: Scope = WHOLE_BANNER,
    actor: Actor = SYSTEM, name: str | None = None, progress: Progress | None = None,
) -> RegistryReport:  # fmt: skip
    """Import ``path`` in the caller's transaction (see the module doc)."""
    started = time.perf_counter()
    sheet = read_sheet(path)
    report = RegistryReport(name or path.name, sheet.format, rows=len(sheet.rows))
    tags = {r.tag: r.tag for r in conn.execute(query("tag_kinds")) if r.tag != "ordinary"}
    tags |= {r.label: r.tag for r in conn.execute(query("tag_kinds")) if r.tag != "ordinary"}
    checker = _Checker(tags, key)
    rows = []
    for i, (line, values) in enumerate(sheet.rows, start=1):
        rows.append(checker.row(line, values))
        if progress and (i % 500 == 0 or i == len(sheet.rows)):
            progress("checking", i, len(sheet.rows))
    _duplicates(rows, checker)
    stored = _against_database(conn, rows, checker, scope)
    houses = _place_new_houses(conn, rows, stored, checker, scope)
    report.refused = sorted(checker.refused, key=lambda r: (r.line, r.field))
    if not report.refused and rows:
        _write(conn, rows, houses)
        report.written = True
        report.houses = len(houses)
        report.households = len({r.values["household"] for r in rows})
        report.persons = len(rows)
        if progress:
            progress("writing", len(rows), len(rows))
    report.seconds = time.perf_counter() - started
    audit.record(conn, actor, "registry.import", "registry", None, after={
        "file": report.file, "rows": report.rows, "written": report.written,
        "persons": report.persons, "refused": len(report.refused)})  # fmt: skip
    return report


def _write(
    conn: Connection, rows: list[_Row], houses: list[tuple[str, str, float, float, int]]
) -> None:
    copy_rows(
        conn, "registry_import_house",
        "code text, name text, lon float8, lat float8, micro_grid_id bigint", houses,
    )  # fmt: skip
    copy_rows(
        conn,
        "registry_import_person",
        "line integer, household text, house text, name text, id_number text, id_hash text, "
        "birth_date date, sex text, ethnicity text, phone text, residence_type text, "
        "party_member boolean, tags text[], head boolean",
        (
            (
                r.line, r.values["household"], r.values["house"], r.values["name"],
                r.id_number, r.id_hash, _born(r.id_number), idnumber.sex(r.id_number),
                r.values.get("ethnicity") or None, r.values.get("phone") or None, r.residence,
                r.party, r.tags, r.values.get("relation") == "户主",
            )
            for r in rows
        ),
    )  # fmt: skip
    conn.execute(query("import_write"))


def _born(number: str) -> date:
    return idnumber.birth_date(number)


def import_registry(
    engine: Engine, path: Path, *, key: str, scope: Scope = WHOLE_BANNER,
    actor: Actor = SYSTEM, name: str | None = None, progress: Progress | None = None,
) -> RegistryReport:  # fmt: skip
    """:func:`check_and_write` in a transaction of its own: all rows or none."""
    with engine.begin() as conn:
        return check_and_write(
            conn, path, key=key, scope=scope, actor=actor, name=name, progress=progress
        )
