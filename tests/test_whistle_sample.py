"""The sample whistles as loaded (``sample_data/whistles.csv``), against figures computed here
from the file with plain csv: how many whistles, who came, on time or late."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

FILE = Path(__file__).resolve().parents[1] / "sample_data" / "whistles.csv"


def _rows() -> list[dict[str, str]]:
    with FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_file_holds_three_dozen_released_whistles_of_three_kinds():
    rows = _rows()
    whistles = {r["whistle"]: r for r in rows}
    assert len(whistles) == 36 and len(rows) == 36 * 3
    assert Counter(r["kind"] for r in whistles.values()) == Counter(
        {"beyond_township": 15, "joint_enforcement": 13, "emergency": 8}
    )
    assert all(r["released_at"] > r["blown_at"] for r in rows)


def _expected_judgement(row: dict[str, str]) -> str:
    came = datetime.fromisoformat(row["checkin_at"]) - datetime.fromisoformat(row["blown_at"])
    limit = timedelta(days=2) if row["kind"] == "beyond_township" else timedelta(minutes=30)
    # 4 hours is inside 2 working days and 12 days past them, whatever the holidays
    return "on_time" if came <= limit else "late"


def test_the_loaded_check_ins_are_judged_as_the_file_intends(engine):
    with engine.connect() as conn:
        summoned = dict(
            conn.execute(
                text(
                    "SELECT w.blown_at, count(*) FROM whistle w "
                    "JOIN whistle_department wd ON wd.whistle_id = w.id "
                    "WHERE w.blown_by = 'system' GROUP BY w.blown_at"
                )
            ).all()
        )
        judged = Counter(
            dict(
                conn.execute(
                    text(
                        "SELECT c.judgement, count(*) FROM whistle_checkin c "
                        "JOIN whistle w ON w.id = c.whistle_id WHERE w.blown_by = 'system' "
                        "GROUP BY c.judgement"
                    )
                ).all()
            )
        )
        released = conn.execute(
            text("SELECT count(*) FROM whistle WHERE blown_by = 'system' AND released_at IS NULL")
        ).scalar_one()
    assert len(summoned) == 36 and released == 0
    expected: Counter[str] = Counter()
    for row in _rows():
        if (
            row["checkin_at"]
            and int(row["slot"]) < summoned[datetime.fromisoformat(row["blown_at"])]
        ):
            expected[_expected_judgement(row)] += 1
    assert judged == expected
    assert expected["on_time"] > 3 * expected["late"] > 0
