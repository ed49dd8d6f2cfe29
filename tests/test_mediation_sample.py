"""The sample's mediation files, loaded: the ladder's figures of ``GET /mediation/stats``
checked against figures computed here with plain Python from the committed CSVs, and each
file's case standing at the rung its ladder reached (the climbs are trail entries)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
CHINA_OFFSET = "+08:00"


def _read(name: str) -> list[dict[str, str]]:
    with (SAMPLE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def oracle(year: str | None) -> dict[str, Any]:
    files = [f for f in _read("mediation_files.csv") if year is None or f["intake_on"][:4] == year]
    lines = {f["line"] for f in files}
    steps: dict[str, list[dict[str, str]]] = defaultdict(list)
    for a in _read("mediation_attempts.csv"):
        if a["line"] in lines:
            steps[a["line"]].append(a)
    settled = {f["line"]: steps[f["line"]][-1] for f in files if f["outcome"] == "settled"}
    accepted = Counter(lv for line in lines for lv in {a["level"] for a in steps[line]})
    at_level = Counter(a["level"] for a in settled.values())
    had = Counter((a["level"], int(a["rung"])) for line in lines for a in steps[line])
    won = Counter((a["level"], int(a["rung"])) for a in settled.values())
    days = sorted(
        (
            datetime.fromisoformat(a["held_at"]).date()
            - datetime.fromisoformat(f["intake_on"]).date()
        ).days
        for f in files
        if (a := settled.get(f["line"]))
    )
    return {
        "accepted": len(files),
        "settled": len(settled),
        "levels": {lv: (accepted[lv], at_level[lv]) for lv in ("village", "township", "banner")},
        "rungs": {k: (n, won[k]) for k, n in had.items()},
        "types": {t: n for t, n in Counter(f["dispute_type"] for f in files).items()},
        "local": round((at_level["village"] + at_level["township"]) / len(settled), 4),
        "median_days": days[len(days) // 2]
        if len(days) % 2
        else (days[len(days) // 2 - 1] + days[len(days) // 2]) / 2,
    }


@pytest.mark.parametrize("year", ["2023", "2024"])
def test_the_success_rates_match_the_csv(client, year):
    expected = oracle(year)
    response = client.get("/api/v1/mediation/stats", params={"period": year})
    assert response.status_code == 200, response.text
    got = response.json()
    assert (got["accepted"], got["settled"]) == (expected["accepted"], expected["settled"])
    assert got["success_rate"] == round(expected["settled"] / expected["accepted"], 4)
    assert got["local_rate"] == expected["local"]
    levels = {lv["level"]: (lv["accepted"], lv["settled"]) for lv in got["levels"]}
    assert levels == expected["levels"]
    for lv in got["levels"]:
        assert lv["success_rate"] == round(lv["settled"] / lv["accepted"], 4)
    rungs = {
        (lv["level"], r["rung"]): (r["accepted"], r["settled"])
        for lv in got["levels"]
        for r in lv["rungs"]
    }
    assert rungs == expected["rungs"]
    assert {t["code"]: t["accepted"] for t in got["types"]} == expected["types"]
    assert got["days_to_settle"]["median"] == expected["median_days"]
    # the ladder's shape: most settle in the village, fewer at the township, a handful higher
    village, township, banner = (
        expected["levels"][lv][1] for lv in ("village", "township", "banner")
    )
    assert village > 5 * township > 0 and 0 < banner < township


def test_the_sample_has_a_few_hundred_files_some_to_court():
    files = _read("mediation_files.csv")
    assert 250 <= len(files) <= 400
    outcomes = Counter(f["outcome"] for f in files)
    assert outcomes["to_court"] > 0 and outcomes["settled"] > len(files) // 2


def test_each_case_stands_at_the_rung_its_ladder_reached(conn):
    rows = conn.execute(
        text(
            "SELECT i.level, (SELECT a.level FROM mediation_attempt a WHERE a.file_id = f.id "
            "ORDER BY a.held_at DESC LIMIT 1) AS top, "
            "(SELECT count(*) FROM incident_event e WHERE e.incident_id = i.id "
            "AND e.action = 'escalate') AS ups "
            "FROM mediation_file f JOIN incident i ON i.id = f.incident_id "
            "WHERE f.opened_by = 'sample'"
        )
    ).all()
    assert len(rows) == len(_read("mediation_files.csv"))
    assert all(r.level == r.top for r in rows)
    # micro-grid → grid → village at the intake, then one per rung climbed
    assert all(r.ups == 2 + ("village", "township", "banner").index(r.top) for r in rows)
