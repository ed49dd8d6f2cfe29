"""Load the sample's mediation files (``mediation_files.csv``, ``mediation_attempts.csv``,
written by :mod:`sample_data.mediation`) onto the sample's disputes.

Runs after the trails are written (the climbs are 上报上级 entries of ``trails.csv``, so the
cases already stand at the level their ladder reached). A file whose incident is not the
dispute the CSV names fails the load. Deadlines are the calendar's: each attempt's counts
from the previous attempt, or from the intake day.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, time
from pathlib import Path

from sqlalchemy import Connection

from cases.loop import calendar
from cases.loop.calendar import CHINA
from cases.mediation import ladder
from cases.mediation.sql import query


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_mediation(conn: Connection, folder: Path, codes_by_line: list[str]) -> int:
    """Load the files of ``folder`` (``codes_by_line[k]`` is the code of incidents.csv's
    line ``k + 1``); how many."""
    files = _rows(folder / "mediation_files.csv")
    attempts: dict[str, list[dict[str, str]]] = {}
    for a in _rows(folder / "mediation_attempts.csv"):
        attempts.setdefault(a["line"], []).append(a)
    limits = ladder.limits(conn)
    cal = calendar.load(conn)
    for f in files:
        code = codes_by_line[int(f["line"]) - 1]
        steps = attempts[f["line"]]
        opened = datetime.combine(datetime.fromisoformat(f["intake_on"]).date(), time(0), CHINA)
        held = [datetime.fromisoformat(a["held_at"]) for a in steps]
        climbs = [
            h for a, h, b in zip(steps, held, steps[1:], strict=False) if a["level"] != b["level"]
        ]
        file_id = conn.execute(
            query("sample_file"),
            {
                **{k: f[k] for k in ("intake_on", "dispute_type", "source", "summary", "risk")},
                "rights_notified_on": f["rights_notified_on"],
                "code": code,
                "opened_at": opened,
                "rung_since": climbs[-1] if climbs else opened,
                "outcome": f["outcome"],
                "ended_at": held[-1],
            },
        ).scalar_one_or_none()
        if file_id is None:
            raise ValueError(f"line {f['line']}: {code} is not a {f['dispute_type']} dispute")
        parties = [(f["applicant"], f["applicant_phone"] or None, "applicant"),
                   (f["respondent"], None, "respondent")]  # fmt: skip
        for name, phone, side in parties:
            conn.execute(
                query("party_insert"),
                {"file_id": file_id, "side": side, "kind": "person", "member_id": None,
                 "name": name, "phone": phone, "id_number": None, "agent": None},
            )  # fmt: skip
        start = opened
        for a, h in zip(steps, held, strict=True):
            limit = limits[a["level"]]
            conn.execute(
                query("sample_attempt"),
                {
                    "file_id": file_id, "code": code, "level": a["level"], "rung": int(a["rung"]),
                    "held_at": h, "due_at": cal.add(start, limit.amount, limit.unit),
                    "mediators": json.dumps([{"name": a["mediator"], "role": "调解员",
                                              "committee": a["committee"]}], ensure_ascii=False),
                    "participants": json.dumps([f["applicant"], f["respondent"]],
                                               ensure_ascii=False),
                    "record": a["record"], "outcome": a["outcome"],
                    "refused": a["refused"] == "true",
                },
            )  # fmt: skip
            start = h
        if f["form"]:
            conn.execute(query("sample_agreement"), {"file_id": file_id, **{k: f[k] for k in (
                "form", "terms", "effective_on", "confirmation", "confirmation_on")}})  # fmt: skip
        if f["called_on"]:
            conn.execute(query("sample_follow_up"), {"file_id": file_id, **{k: f[k] for k in (
                "called_on", "performed", "satisfaction", "remaining_risk")}})  # fmt: skip
    return len(files)
