"""Load the sample whistles (``sample_data/whistles.csv``, :mod:`sample_data.whistles`) through
the same functions the API calls, at the times the file gives: blow (the matrix suggests the
departments), acknowledge, check in at the case's point, release, score."""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from itertools import groupby
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from access.accounts import Role
from access.audit import SYSTEM
from cases.whistle import attend, blow, scores
from cases.whistle.sql import query
from geo.scope import WHOLE_BANNER, Scope

log = logging.getLogger(__name__)

_WHISTLER = SimpleNamespace(role=Role.COMMAND, scope=WHOLE_BANNER, actor=SYSTEM)


def _officer(department: str) -> SimpleNamespace:
    return SimpleNamespace(role=Role.DEPARTMENT, scope=Scope(department=department), actor=SYSTEM)


def _at(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def load_whistles(conn: Connection, path: Path) -> int:
    """Blow and play out every whistle of ``path``; how many. A missing file loads none."""
    if not path.exists():
        return 0
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    count = 0
    for _, group in groupby(rows, key=lambda r: r["whistle"]):
        _play(conn, list(group))
        count += 1
    log.info("loaded %d sample whistles", count)
    return count


def _play(conn: Connection, slots: list[dict[str, str]]) -> None:
    first = slots[0]
    code = conn.execute(
        query("sample_case"),
        {
            "reported_at": datetime.fromisoformat(first["reported_at"]),
            "lon": float(first["lon"]),
            "lat": float(first["lat"]),
        },
    ).scalar_one()
    body = {"code": code, "kind": first["kind"], "reason": first["reason"]}
    whistle = blow.blow(conn, _WHISTLER, body, at=_at(first["blown_at"]))
    departments = [d["code"] for d in whistle["departments"]]
    items: list[dict[str, Any]] = []
    for row in slots:
        slot = int(row["slot"])
        if slot >= len(departments):
            continue
        officer = _officer(departments[slot])
        if row["acknowledged_at"]:
            attend.acknowledge(conn, officer, whistle["id"], at=_at(row["acknowledged_at"]))
        if row["checkin_at"]:
            point = {"lon": float(row["lon"]), "lat": float(row["lat"]), "datum": row["datum"]}
            point["accuracy"] = float(row["accuracy"])
            attend.check_in(conn, officer, whistle["id"], point, at=_at(row["checkin_at"]))
            items += [
                {"department_code": departments[slot], "criterion": c, "score": int(row[c]),
                 "reason": row["score_reason"]}
                for c in ("efficiency", "handling", "satisfaction")
            ]  # fmt: skip
    attend.release(conn, _WHISTLER, whistle["id"], at=_at(first["released_at"]))
    if items:
        scores.score(conn, _WHISTLER, whistle["id"], items, at=_at(first["released_at"]))
