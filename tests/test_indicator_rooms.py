"""The mediation and whistle indicators of WORKFLOW.md §2 (调解成功率, 就地化解率, 报到及时率,
吹哨率) and the whistle scores in the department ranking (§3.6, §4.1).

The hand-built trail (department ``T97``, September 2026; every case filed in the month):

- A: dispute file taken in 09-03, failed at the village, settled at the township (local);
  a whistle blown 09-08 summoning one department, which checked in outside and then on time.
- B: file taken in 09-04, settled at the banner (settled, not local).
- C: file taken in 09-05, not settled.
- D: file taken in 08-30 (August: not counted); whistle 1 blown 09-06 summoning two
  departments (one on time, one late); whistle 2 blown 09-07, its department never came.
- E: a whistle blown 10-01 00:10 China time (October: not counted), checked in on time.

So 调解成功率 = {A, B} ÷ {A, B, C} = 2/3; 就地化解率 = {A} ÷ {A, B} = 1/2; 报到及时率 =
2 on-time summons ÷ 4 summons = 1/2; 吹哨率 = 3 whistles ÷ 5 filed cases = 3/5.
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction

import pytest
from sqlalchemy import Connection, text

from cases.indicators import compute, rankings
from cases.indicators.periods import parse_period, parse_quarter
from cases.indicators.registry import INDICATORS
from geo.scope import WHOLE_BANNER
from tests.test_indicators import CN, NOW, SEPTEMBER, Case, at

#: indicator → (numerator, denominator) worked out by hand from the module's docstring.
BY_HAND = {
    "mediation_success_rate": (2, 3),
    "mediation_local_rate": (1, 2),
    "checkin_on_time_rate": (2, 4),
    "whistle_rate": (3, 5),
}


def _file(conn: Connection, case: Case, intake: date, outcome: str | None) -> int:
    return conn.execute(
        text(
            "INSERT INTO mediation_file (incident_id, intake_on, dispute_type, source, summary, "
            "opened_at, opened_by, rung_since, outcome) VALUES (:id, :on, '0103', "
            "'application', '测试纠纷', :at, 'test', :at, :outcome) RETURNING id"
        ),
        {"id": case.id, "on": intake, "at": at(9, 1), "outcome": outcome},
    ).scalar_one()


def _attempt(conn: Connection, file_id: int, level: str, held: datetime, outcome: str) -> None:
    conn.execute(
        text(
            "INSERT INTO mediation_attempt (file_id, level, rung, held_at, due_at, mediators, "
            "participants, record, outcome, recorded_by) VALUES (:f, :level, 1, :at, :at, "
            "'[]', '[]', '笔录', :outcome, 'test')"
        ),
        {"f": file_id, "level": level, "at": held, "outcome": outcome},
    )


def _whistle(conn: Connection, case: Case, blown: datetime, summoned: dict[int, list[str]]) -> int:
    """A whistle on ``case`` summoning the departments ``summoned`` (id → check-in
    judgements, in order)."""
    whistle = conn.execute(
        text(
            "INSERT INTO whistle (incident_id, kind, reason, area_code, blown_by, blown_role, "
            "blown_at) VALUES (:id, 'joint_enforcement', '联合执法', '150621001001', 'test', "
            "'township', :at) RETURNING id"
        ),
        {"id": case.id, "at": blown},
    ).scalar_one()
    for department, judgements in summoned.items():
        conn.execute(
            text(
                "INSERT INTO whistle_department (whistle_id, department_id, lead, "
                "acknowledge_due, arrive_due) VALUES (:w, :d, true, :at, :at)"
            ),
            {"w": whistle, "d": department, "at": blown},
        )
        for judgement in judgements:
            conn.execute(
                text(
                    "INSERT INTO whistle_checkin (whistle_id, department_id, at, geom, datum, "
                    "distance_m, judgement, by) VALUES (:w, :d, :at, "
                    "ST_SetSRID(ST_MakePoint(110.0, 40.4), 4490), 'cgcs2000', 10, :j, 'test')"
                ),
                {"w": whistle, "d": department, "at": blown, "j": judgement},
            )
    return whistle


@pytest.fixture
def built(conn: Connection) -> Connection:
    """The five cases of the module's docstring, under department T97."""
    department = conn.execute(
        text("INSERT INTO department (code, name) VALUES ('T97', '测试局') RETURNING id")
    ).scalar_one()
    others = list(
        conn.execute(
            text("SELECT id FROM department WHERE code <> 'T97' ORDER BY id LIMIT 2")
        ).scalars()
    )
    template = conn.execute(
        text(
            "SELECT i.id FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "WHERE q.code LIKE '150621001%' ORDER BY i.id LIMIT 1"
        )
    ).scalar_one()
    a, b, c, d, e = (Case(conn, department, template, at(9, 2)).filed(n) for n in range(2, 7))
    settled_local = _file(conn, a, date(2026, 9, 3), "settled")
    _attempt(conn, settled_local, "village", at(9, 4), "not_settled")
    _attempt(conn, settled_local, "township", at(9, 6), "settled")
    _attempt(conn, _file(conn, b, date(2026, 9, 4), "settled"), "banner", at(9, 8), "settled")
    _attempt(conn, _file(conn, c, date(2026, 9, 5), "not_settled"), "village", at(9, 6),
             "not_settled")  # fmt: skip
    _file(conn, d, date(2026, 8, 30), "settled")
    _whistle(conn, a, at(9, 8), {department: ["outside", "on_time"]})
    _whistle(conn, d, at(9, 6), {others[0]: ["on_time"], others[1]: ["late"]})
    _whistle(conn, d, at(9, 7), {department: []})
    _whistle(conn, e, datetime(2026, 10, 1, 0, 10, tzinfo=CN), {department: ["on_time"]})
    conn.info["codes"] = {"A": a.code, "B": b.code, "C": c.code, "D": d.code, "E": e.code}
    return conn


@pytest.mark.parametrize("name", list(BY_HAND))
def test_each_formula_on_a_hand_built_trail(built: Connection, name: str) -> None:
    where = compute.View(WHOLE_BANNER, department="T97")
    found = compute.counts(built, SEPTEMBER, where, now=NOW)[""]
    got = compute.figure(INDICATORS[name], found, compute.Rules(min_sample=1))
    numerator, denominator = BY_HAND[name]
    assert (got["numerator"], got["denominator"]) == (numerator, denominator)
    assert got["value"] == float(Fraction(numerator, denominator))
    assert got["label"] == INDICATORS[name].label


@pytest.mark.parametrize(
    ("flag", "letters"),
    [
        ("disputes_accepted", "ABC"),
        ("disputes_settled", "AB"),
        ("disputes_settled_local", "A"),
        ("whistles", "AD"),
        ("checkins_required", "AD"),
        ("checkins_on_time", "AD"),
        ("filed", "ABCDE"),
    ],
)
def test_the_cases_behind_the_room_figures(built: Connection, flag: str, letters: str) -> None:
    where = compute.View(WHOLE_BANNER, department="T97")
    found = compute.cases(built, SEPTEMBER, where, flag, now=NOW)
    codes = built.info["codes"]
    assert {c["code"] for c in found} == {codes[x] for x in letters}


def test_the_room_figures_on_the_sample_match_an_independent_count(conn: Connection) -> None:
    year = parse_period("2024")
    found = compute.counts(conn, year, compute.View(WHOLE_BANNER), now=NOW)[""]
    files = conn.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE f.outcome = 'settled'), "
            "count(*) FILTER (WHERE f.outcome = 'settled' AND EXISTS (SELECT 1 FROM "
            "mediation_attempt a WHERE a.file_id = f.id AND a.outcome = 'settled' "
            "AND a.level <> 'banner')) FROM mediation_file f "
            "WHERE f.intake_on BETWEEN '2024-01-01' AND '2024-12-31'"
        )
    ).one()
    whistles = conn.execute(
        text(
            "SELECT count(DISTINCT w.id), count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 "
            "FROM whistle_checkin k WHERE k.whistle_id = d.whistle_id "
            "AND k.department_id = d.department_id AND k.judgement = 'on_time')) "
            "FROM whistle w JOIN whistle_department d ON d.whistle_id = w.id "
            "WHERE w.blown_at >= '2024-01-01T00:00:00+08:00' "
            "AND w.blown_at < '2025-01-01T00:00:00+08:00'"
        )
    ).one()
    filed = conn.execute(
        text(
            "SELECT count(DISTINCT e.incident_id) FROM incident_event e WHERE e.action = 'file' "
            "AND e.at >= '2024-01-01T00:00:00+08:00' AND e.at < '2025-01-01T00:00:00+08:00'"
        )
    ).scalar_one()
    assert files[0] > 100 and whistles[0] > 10  # the sample has both
    assert (found["disputes_accepted"], found["disputes_settled"]) == (files[0], files[1])
    assert found["disputes_settled_local"] == files[2]
    assert (found["whistles"], found["checkins_required"], found["checkins_on_time"]) == tuple(
        whistles
    )
    assert found["filed"] == filed
    rate = compute.figure(INDICATORS["whistle_rate"], found, compute.Rules())
    assert rate["value"] == float(Fraction(whistles[0], filed))


def test_whistle_scores_feed_the_department_ranking(conn: Connection) -> None:
    """Per whistle and department the mean of the three criteria is one item, counted with the
    township's case scores: 150621001 scores S1 on a case (85.5) and on two whistles
    ((80 + 90 + 100) / 3 = 90 and (70 + 71 + 72) / 3 = 71): 3 items, mean 246.5 / 3."""
    quarter = parse_quarter("2030-Q1")
    d1, d2 = conn.execute(text("SELECT code, id FROM department ORDER BY id LIMIT 2")).all()
    case = conn.execute(
        text(
            "SELECT i.id FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "WHERE q.code LIKE '150621001%' ORDER BY i.id LIMIT 1"
        )
    ).scalar_one()
    given = datetime(2030, 2, 1, 10, tzinfo=CN)
    conn.execute(
        text(
            "INSERT INTO case_score (incident_id, township_code, department_id, score, reason, "
            "by, at) VALUES (:i, '150621001', :d, 85.5, '处置及时', 'township', :at)"
        ),
        {"i": case, "d": d1.id, "at": given},
    )

    def whistle(scores: dict[str, tuple[int, int, int]], area: str) -> None:
        w = conn.execute(
            text(
                "INSERT INTO whistle (incident_id, kind, reason, area_code, blown_by, "
                "blown_role, blown_at) VALUES (:i, 'emergency', '应急', :area, 'township', "
                "'township', :at) RETURNING id"
            ),
            {"i": case, "area": area, "at": given},
        ).scalar_one()
        for code, triple in scores.items():
            for criterion, score in zip(
                ("efficiency", "handling", "satisfaction"), triple, strict=True
            ):
                conn.execute(
                    text(
                        "INSERT INTO whistle_score (whistle_id, department_code, criterion, "
                        "score, reason, by, at) VALUES (:w, :c, :k, :s, '理由', 'township', :at)"
                    ),
                    {"w": w, "c": code, "k": criterion, "s": score, "at": given},
                )

    whistle({d1.code: (80, 90, 100), d2.code: (60, 65, 61)}, "150621001001")
    whistle({d1.code: (70, 71, 72)}, "150621001002")
    whistle({d2.code: (100, 100, 100)}, "150621002003")
    found = rankings._township_scores(conn, quarter)
    assert found[d1.code] == {
        "count": 3,
        "mean": round(246.5 / 3, 2),
        "by_township": [{"code": "150621001", "name": "树林召镇", "count": 3, "mean": 82.1667}],
    }
    assert found[d2.code]["count"] == 2 and found[d2.code]["mean"] == 81.0
    assert [(t["code"], t["count"], t["mean"]) for t in found[d2.code]["by_township"]] == [
        ("150621001", 1, 62.0),
        ("150621002", 1, 100.0),
    ]
    ranked = rankings.compute_ranking(conn, quarter, "department", "")
    row = next(r for r in ranked["rows"] if r["code"] == d1.code)
    assert row["inputs"]["township_scores"]["count"] == 3
    assert row["inputs"]["township_scores"]["mean"] == 82.17


URL = "/api/v1/indicators"
ROOM_NAMES = "mediation_success_rate,mediation_local_rate,checkin_on_time_rate,whistle_rate"


def test_the_api_drill_down_and_map_carry_the_room_indicators(client, conn) -> None:
    names = {n["name"]: n["label"] for n in client.get(f"{URL}/names").json()}
    assert {n: names[n] for n in BY_HAND} == {
        "mediation_success_rate": "调解成功率",
        "mediation_local_rate": "就地化解率",
        "checkin_on_time_rate": "报到及时率",
        "whistle_rate": "吹哨率",
    }
    body = client.get(URL, params={"period": "2024", "names": ROOM_NAMES}).json()
    figures = {i["name"]: i for i in body["indicators"]}
    found = compute.counts(conn, parse_period("2024"), compute.View(WHOLE_BANNER), now=NOW)[""]
    assert (figures["whistle_rate"]["numerator"], figures["whistle_rate"]["denominator"]) == (
        found["whistles"],
        found["filed"],
    )
    settled = figures["mediation_success_rate"]["numerator"]
    assert settled == found["disputes_settled"] > 0
    page = client.get(
        f"{URL}/cases",
        params={"name": "mediation_success_rate", "period": "2024", "limit": 100},
    )
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == min(settled, 100)
    assert all(i["category"]["code"].startswith("01") for i in page.json()["items"])
    towns = client.get(
        f"{URL}/by-area",
        params={"name": "checkin_on_time_rate", "period": "2024", "level": "township"},
    ).json()
    assert (
        sum(f["properties"]["denominator"] or 0 for f in towns["features"])
        == found["checkins_required"]
    )
