"""Importing households and persons: every refused row by line and field, nothing half-written.

The files are written here (CSV, and .xlsx with openpyxl); each import runs in the test's
transaction (rolled back), except the API's, whose refused file writes nothing anyway.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook
from sqlalchemy import text

from cases.registry.imports import check_and_write
from cases.registry.reading import COLUMNS
from geo.errors import InvalidFile
from geo.scope import Scope
from geo.settings import Settings
from sample_data.registry import id_number
from tests.helpers import point_inside

#: The key the sample was hashed with: a person already registered is found by it.
KEY = Settings().id_key
HEADER = [COLUMNS[f] for f in (
    "household", "house", "address", "lon", "lat", "name", "id_number", "phone",
    "residence_type", "relation", "party_member", "tags",
)]  # fmt: skip


def _id(day: str, seq: int) -> str:
    """An ID number from the 800s, a range neither the sample nor anybody uses."""
    return id_number(np.datetime64(day), seq)


def _csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _counts(conn) -> tuple[int, int, int]:
    return conn.execute(
        text(
            "SELECT (SELECT count(*) FROM house), (SELECT count(*) FROM household), "
            "(SELECT count(*) FROM person)"
        )
    ).one()


@pytest.fixture
def micro(conn, accounts) -> str:
    return accounts["party_member"].area_code


def test_a_good_file_writes_houses_households_persons_tags_and_the_head(conn, micro, tmp_path):
    lon, lat = point_inside(conn, micro)
    before = _counts(conn)
    rows = [
        ["T-HH-1", "T-H-1", "测试路1号", lon, lat, "测试甲", _id("1950-03-04", 801), "17000999101",
         "户籍", "", "否", "独居老人"],
        ["T-HH-2", "T-H-2", "测试路2号", lon, lat, "测试乙", _id("1980-05-06", 802), "",
         "流动", "户主", "是", "migrant;低保户"],
        ["T-HH-2", "T-H-2", "测试路2号", lon, lat, "测试丙", _id("2010-07-08", 803), "",
         "流动", "子", "否", ""],
    ]  # fmt: skip
    report = check_and_write(conn, _csv(tmp_path / "good.csv", rows), key=KEY)
    assert report.refused == [] and report.written
    assert (report.rows, report.houses, report.households, report.persons) == (3, 2, 2, 3)
    assert tuple(_counts(conn)) == (before[0] + 2, before[1] + 2, before[2] + 3)
    head = conn.execute(
        text(
            "SELECT p.name, p.residence_type, p.party_member, a.code, "
            "array(SELECT tag FROM person_tag t WHERE t.person_id = p.id ORDER BY tag) "
            "FROM household hh JOIN person p ON p.id = hh.head_person_id "
            "JOIN house h ON h.id = hh.house_id JOIN area a ON a.id = h.micro_grid_id "
            "WHERE hh.code = 'T-HH-2'"
        )
    ).one()
    assert tuple(head) == ("测试乙", "floating", True, micro, ["low_income", "migrant"])


def test_bad_rows_are_each_reported_with_line_and_field_and_nothing_is_written(
    conn, micro, tmp_path
):
    lon, lat = point_inside(conn, micro)
    sample = conn.execute(
        text("SELECT p.id_number, hh.code FROM person p JOIN household hh "
             "ON hh.id = p.household_id ORDER BY p.id LIMIT 1")
    ).one()  # fmt: skip
    good = _id("1970-01-01", 811)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        ["T-HH-1", "T-H-1", "测试路1号", lon, lat, "好人", good, "", "户籍", "", "", ""],  # 2
        ["T-HH-1", "T-H-1", "测试路1号", lon, lat, "错号", wrong, "", "户籍", "", "", ""],  # 3
        ["T-HH-1", "T-H-1", "测试路1号", lon, lat, "", _id("1970-01-02", 813), *[""] * 5],  # 4
        ["T-HH-9", "T-H-9", "测试路9号", lon, lat, "两户", good, "", "", "", "", ""],  # 5
        ["T-HH-1", "T-H-1", "测试路1号", lon, lat, "已登", sample.id_number, *[""] * 5],  # 6
        ["T-HH-3", "T-H-3", "境外路", 100.0, 30.0, "远方", _id("1970-01-03", 815), *[""] * 5],  # 7
        ["T-HH-1", "T-H-1", "测试路1号", lon, lat, "类型", _id("1970-01-04", 817), "12",
         "常住", "", "也许", "神秘"],  # 8
    ]  # fmt: skip
    before = _counts(conn)
    report = check_and_write(conn, _csv(tmp_path / "bad.csv", rows), key=KEY)
    assert not report.written and report.rows == 7
    got = [(r.line, r.field, r.reason) for r in report.refused]
    assert got == [
        (3, "id_number", f"check character is {wrong[17]}, should be {good[17]}"),
        (4, "name", "is required"),
        (5, "id_number", "a person in two households: also in household T-HH-1 on line 2"),
        (6, "id_number", f"already registered in household {sample.code}: a person is in "
                         "one household only"),
        (7, "lon", "(100.0, 30.0) lies outside every micro-grid"),
        (8, "party_member", "must be 是 or 否"),
        (8, "phone", "must be a phone number of 7 to 12 digits"),
        (8, "residence_type", "must be 户籍, 流动 or 境外"),
        (8, "tags", "unknown tag '神秘'"),
    ]  # fmt: skip
    assert tuple(_counts(conn)) == tuple(before)


def test_a_township_officer_cannot_import_into_another_township(conn, accounts, tmp_path):
    peer_micro = accounts["party_member_peer"].area_code
    lon, lat = point_inside(conn, peer_micro)
    rows = [["T-HH-1", "T-H-1", "外镇路", lon, lat, "外镇", _id("1990-01-01", 821), "", "", "",
             "", ""]]  # fmt: skip
    report = check_and_write(
        conn, _csv(tmp_path / "other.csv", rows), key=KEY, scope=Scope(area_prefix="150621001")
    )
    assert [(r.line, r.field, r.reason) for r in report.refused] == [
        (2, "lon", "house T-H-1 lies outside your area")
    ]


def test_a_missing_column_and_a_merged_header_refuse_the_whole_xlsx(conn, micro, tmp_path):
    lon, lat = point_inside(conn, micro)
    book = Workbook()
    sheet = book.active
    sheet.append([h for h in HEADER if h != "身份证号"])
    sheet.append(["T-HH-1", "T-H-1", "路", lon, lat, "某", "", "", "", "", ""])
    book.save(tmp_path / "missing.xlsx")
    with pytest.raises(InvalidFile, match=r"missing column\(s\): 身份证号 \(id_number\)"):
        check_and_write(conn, tmp_path / "missing.xlsx", key=KEY)

    book = Workbook()
    sheet = book.active
    sheet.append(["住户信息", "", "", "", "", "人员信息"])
    sheet.append(HEADER)
    sheet.merge_cells("A1:E1")
    sheet.merge_cells("F1:L1")
    book.save(tmp_path / "merged.xlsx")
    with pytest.raises(InvalidFile, match=r"the header row has merged cells \(A1:E1\)"):
        check_and_write(conn, tmp_path / "merged.xlsx", key=KEY)


def test_an_xlsx_with_bad_rows_reports_each_by_its_sheet_row(conn, micro, tmp_path):
    lon, lat = point_inside(conn, micro)
    good = _id("1960-06-06", 831)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["T-HH-1", "T-H-1", "路1号", lon, lat, "甲", good, "", "", "", "", ""])
    sheet.append([None] * len(HEADER))  # a blank row is skipped, its number kept
    sheet.append(["T-HH-1", "T-H-1", "路1号", lon, lat, "乙", good, "", "", "", "", ""])
    sheet.append(["T-HH-1", "T-H-1", "路1号", "东经", lat, "丙", _id("1960-06-07", 833), "",
                  "", "", "", ""])  # fmt: skip
    book.save(tmp_path / "rows.xlsx")
    report = check_and_write(conn, tmp_path / "rows.xlsx", key=KEY)
    assert report.format == "xlsx" and report.rows == 3 and not report.written
    assert [(r.line, r.field, r.reason) for r in report.refused] == [
        (4, "id_number", "duplicate of line 2"),
        (5, "lon", "must be a number in CGCS2000 degrees, got '东经'"),
    ]


def test_the_api_answers_the_report_and_writes_nothing_on_a_refusal(client, engine, auth, tmp_path):
    path = _csv(tmp_path / "api.csv", [["T-HH-1", "T-H-1", "路", 100.0, 30.0, "某某",
                                        _id("1999-09-09", 841), "", "", "", "", ""]])  # fmt: skip
    with engine.connect() as conn:
        before = _counts(conn)
    with path.open("rb") as f:
        answer = client.post(
            "/api/v1/registry/imports", files={"file": ("户籍.csv", f, "text/csv")},
            headers=auth("township"),
        )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "file": "户籍.csv", "format": "csv", "rows": 1, "written": False, "houses": 0,
        "households": 0, "persons": 0,
        "refused": [{"line": 2, "field": "lon",
                     "reason": "(100.0, 30.0) lies outside every micro-grid"}],
    }  # fmt: skip
    with engine.connect() as conn:
        assert tuple(_counts(conn)) == tuple(before)
    with path.open("rb") as f:
        denied = client.post(
            "/api/v1/registry/imports", files={"file": ("a.csv", f, "text/csv")},
            headers=auth("party_member"),
        )  # fmt: skip
    assert denied.status_code == 403
