"""Excel downloads (api/xlsx.py): read back with openpyxl, cell by cell."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import text

from api.xlsx import (
    APPEAL_COLUMNS,
    CHINA,
    EVALUATION_COLUMNS,
    INCIDENT_COLUMNS,
    INDICATOR_COLUMNS,
    MEDIA_TYPE,
    RANKING_COLUMNS,
    SCORE_COLUMNS,
    workbook,
    workbook_response,
)
from geo.privacy import unmasked

COLUMNS = [("code", "编号", 12), ("n", "数量", 8), ("rate", "比率", 9.5), ("at", "时间", 18)]


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_headers_frozen_row_and_widths():
    sheet = _sheet(workbook([], COLUMNS, title="表"))
    assert [c.value for c in sheet[1]] == ["编号", "数量", "比率", "时间"]
    assert sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCD"]
    assert widths == [12, 8, 9.5, 18]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.title == "表"


def test_values_numbers_and_china_time():
    rows = [
        {"code": "DLT-1", "n": 7, "rate": 0.25, "at": "2026-09-30T18:30:00+00:00"},
        {"code": "DLT-2", "n": 0, "rate": None, "at": datetime(2026, 1, 1, 0, 0, tzinfo=UTC)},
    ]
    sheet = _sheet(workbook(rows, COLUMNS))
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [
        ["DLT-1", 7, 0.25, datetime(2026, 10, 1, 2, 30)],
        ["DLT-2", 0, None, datetime(2026, 1, 1, 8, 0)],
    ]
    assert sheet["B2"].data_type == "n" and sheet["C2"].data_type == "n"
    assert sheet["D2"].number_format == "yyyy-mm-dd hh:mm"


def test_text_with_personal_data_is_masked():
    rows = [{"code": "电话13812345678 身份证15062119800101123X", "n": 1, "rate": 1.0, "at": None}]
    sheet = _sheet(workbook(rows, COLUMNS))
    assert sheet["A2"].value == "电话138****5678 身份证150621********123X"


def test_response_headers():
    response = workbook_response([], COLUMNS, "排名")
    assert response.media_type == MEDIA_TYPE
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("UTF-8''")[1]) == "排名.xlsx"


@pytest.fixture(scope="module")
def listed(client, auth):
    params = {"area": "150621001", "limit": "40", "from": "2024-01-01T00:00:00+08:00"}
    as_json = client.get("/api/v1/incidents", params=params, headers=auth("command"))
    as_xlsx = client.get(
        "/api/v1/incidents", params={**params, "format": "xlsx"}, headers=auth("command")
    )
    assert as_json.status_code == 200 and as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["content-type"] == MEDIA_TYPE
    return as_json.json()["items"], _sheet(as_xlsx.content)


def test_incident_list_as_a_workbook_equals_the_json(listed):
    items, sheet = listed
    assert [c.value for c in sheet[1]] == [header for _, header, _ in INCIDENT_COLUMNS]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(items) == 40
    for item, row in zip(items, rows, strict=True):
        cells = dict(zip([key for key, _, _ in INCIDENT_COLUMNS], row, strict=True))
        assert cells["code"] == item["code"]
        assert cells["status_label"] == item["status_label"]
        assert cells["category.name"] == item["category"]["name"]
        reported = datetime.fromisoformat(item["reported_at"]).astimezone(
            datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo
        )
        assert cells["reported_at"] == reported.replace(tzinfo=None, microsecond=0)
        assert cells["location.cgcs2000.lon"] == item["location"]["cgcs2000"]["lon"]
        member = item["responsible"]["member"]
        assert cells["responsible.member.name"] == (member["name"] if member else None)


def test_incident_workbook_holds_no_personal_data_in_clear(listed):
    _, sheet = listed
    text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert unmasked(text) == []
    names = [r[10] for r in sheet.iter_rows(min_row=2, values_only=True) if r[10]]
    assert names and all(name[1:] == "*" * (len(name) - 1) for name in names)


def test_an_unknown_format_is_refused(client):
    response = client.get("/api/v1/incidents", params={"format": "xls"})
    assert response.status_code == 422
    assert "format" in response.text


def test_the_privacy_scan_reads_inside_workbooks():
    """A workbook built without the masking (openpyxl directly) is caught by the session scan."""
    import httpx

    from tests.privacy_scan import PrivacyScan

    book = openpyxl.Workbook()
    book.active.append(["电话", "13912345678"])
    out = io.BytesIO()
    book.save(out)
    scan = PrivacyScan()
    request = httpx.Request("GET", "http://t/api/v1/incidents?format=xlsx")
    scan.response(
        httpx.Response(
            200, content=out.getvalue(), headers={"content-type": MEDIA_TYPE}, request=request
        )
    )
    assert scan.findings == ["GET http://t/api/v1/incidents?format=xlsx → 13912345678"]


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(min_row=2, values_only=True))


def test_indicators_as_a_workbook(client, auth):
    params = {"period": "2024", "names": "satisfaction_rate,red_cards"}
    figures = client.get("/api/v1/indicators", params=params, headers=auth("command")).json()
    book = client.get(
        "/api/v1/indicators", params={**params, "format": "xlsx"}, headers=auth("command")
    )
    sheet = _sheet(book.content)
    assert [c.value for c in sheet[1]] == [h for _, h, _ in INDICATOR_COLUMNS]
    assert _rows(sheet) == [
        (
            i["name"],
            i["label"],
            i["numerator"],
            i["denominator"],
            i["value"],
            "是" if i["insufficient"] else "否",
            "是" if i["suppressed"] else "否",
        )
        for i in figures["indicators"]
    ]


def test_by_area_and_rankings_as_workbooks(client, auth):
    params = {"name": "satisfaction_rate", "period": "2024", "level": "township"}
    areas = client.get("/api/v1/indicators/by-area", params=params, headers=auth("command")).json()
    book = client.get(
        "/api/v1/indicators/by-area", params={**params, "format": "xlsx"}, headers=auth("command")
    )
    assert book.headers["content-type"] == MEDIA_TYPE
    rows = _rows(_sheet(book.content))
    expected = [(f["properties"]["code"], f["properties"]["numerator"]) for f in areas["features"]]
    assert [(r[0], r[2]) for r in rows] == expected and len(rows) == 8
    ranking_params = {"quarter": "2024-Q4", "kind": "department"}
    ranked = client.get("/api/v1/rankings", params=ranking_params, headers=auth("command")).json()
    book = client.get(
        "/api/v1/rankings", params={**ranking_params, "format": "xlsx"}, headers=auth("command")
    )
    sheet = _sheet(book.content)
    assert [c.value for c in sheet[1]] == [h for _, h, _ in RANKING_COLUMNS]
    assert [(r[0], r[1], r[3]) for r in _rows(sheet)] == [
        (r["rank"], r["code"], r["score"]) for r in ranked["rows"]
    ]
    assert sheet.column_dimensions["C"].width == 26


def test_the_cases_behind_a_figure_as_a_workbook(client, auth):
    params = {"name": "red_cards", "period": "2024", "limit": "500"}
    items = client.get("/api/v1/indicators/cases", params=params, headers=auth("command")).json()
    book = client.get(
        "/api/v1/indicators/cases", params={**params, "format": "xlsx"}, headers=auth("command")
    )
    codes = [r[0] for r in _rows(_sheet(book.content))]
    assert codes == [i["code"] for i in items["items"]] and len(codes) == 50


def _both(client, auth, url: str, params: dict[str, str], user: str = "command"):
    """The JSON answer and the workbook of the same request (``?format=xlsx``)."""
    as_json = client.get(url, params=params, headers=auth(user))
    book = client.get(url, params={**params, "format": "xlsx"}, headers=auth(user))
    assert as_json.status_code == 200 and book.status_code == 200, book.text
    assert book.headers["content-type"] == MEDIA_TYPE
    sheet = _sheet(book.content)
    assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
    return as_json.json(), sheet


def _china(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(CHINA).replace(tzinfo=None, microsecond=0)


def test_the_trend_as_a_workbook(client, auth):
    params = {"name": "satisfaction_rate", "year": "2024"}
    trend, sheet = _both(client, auth, "/api/v1/indicators/trend", params)
    assert [c.value for c in sheet[1]] == ["月份", "2024年", "2023年（上年同期）"]
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [10, 12, 18]
    rows = _rows(sheet)
    assert rows == list(zip(trend["months"], trend["this_year"], trend["last_year"], strict=True))
    assert [r[0] for r in rows] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert all(isinstance(v, float) and 0.9 < v <= 1 for r in rows for v in r[1:])
    disposition = client.get(
        "/api/v1/indicators/trend", params={**params, "format": "xlsx"}, headers=auth("command")
    ).headers["content-disposition"]
    assert unquote(disposition.split("UTF-8''")[1]) == "满意率2024年月度走势.xlsx"


def test_the_categories_as_a_workbook(client, auth):
    params = {"period": "2024", "top": "8"}
    found, sheet = _both(client, auth, "/api/v1/indicators/categories", params)
    assert [c.value for c in sheet[1]] == ["类别代码", "问题类别", "件数"]
    assert _rows(sheet) == [(c["code"], c["name"], c["count"]) for c in found]
    assert len(found) == 7 and all(c["count"] > 0 for c in found)  # every major category


def test_the_annual_evaluation_as_a_workbook(client, auth):
    params = {"year": "2024", "kind": "township"}
    found, sheet = _both(client, auth, "/api/v1/evaluations", params)
    assert [c.value for c in sheet[1]] == [h for _, h, _ in EVALUATION_COLUMNS]
    assert [c.value for c in sheet[1]][3:8] == [
        "第一季度",
        "第二季度",
        "第三季度",
        "第四季度",
        "季度平均",
    ]
    assert _rows(sheet) == [
        (
            r["rank"], r["code"], r["name"], *r["quarters"], r["quarter_mean"], r["review"],
            r["score"], r["grade"], "是" if r["complete"] else "否",
        )
        for r in found["rows"]
    ]  # fmt: skip
    # Dalad's 8 townships and Haibowan's 5, the latter unranked (no scored quarter yet)
    assert len(found["rows"]) == 8 + 5
    haibowan = [r for r in found["rows"] if r["code"].startswith("150302")]
    assert len(haibowan) == 5 and all(r["rank"] is None for r in haibowan)
    quarters = [q for r in _rows(sheet) for q in r[3:7]]
    assert all(q is None or isinstance(q, int | float) for q in quarters)
    assert sum(q is not None for q in quarters) >= 8  # scored quarters are numbers, not text


def _evaluated_case(engine, township: str, offset: int) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT i.code, d.code AS department FROM incident i JOIN area q ON "
                "q.id = i.queue_area_id JOIN department d ON d.id = i.department_id "
                "WHERE left(q.code, 9) = :p AND i.status = 'evaluated' ORDER BY i.id "
                "LIMIT 1 OFFSET :o"
            ),
            {"p": township, "o": offset},
        ).one()
    return row.code, row.department


def test_the_townships_scores_as_a_workbook(client, auth, engine):
    code, department = _evaluated_case(engine, "150621001", 7)
    made = client.post(
        "/api/v1/scores",
        json={"incident": code, "department": department, "score": 77.5, "reason": "回访及时"},
        headers=auth("township"),
    )
    assert made.status_code == 201, made.text
    today = datetime.now(CHINA)
    params = {"quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}"}
    found, sheet = _both(client, auth, "/api/v1/scores", params)
    assert [c.value for c in sheet[1]] == [h for _, h, _ in SCORE_COLUMNS]
    assert _rows(sheet) == [
        (
            s["id"], s["incident"], s["township_code"], s["department"], s["score"],
            s["reason"], s["by"], _china(s["at"]),
        )
        for s in found
    ]  # fmt: skip
    mine = [r for r in _rows(sheet) if r[0] == made.json()["id"]]
    assert mine == [
        (made.json()["id"], code, "150621001", department, 77.5, "回访及时", "township",
         _china(made.json()["at"]))
    ]  # fmt: skip


def test_the_appeals_as_a_workbook(client, auth):
    published = client.post(
        "/api/v1/rankings/2023-Q2/publish", json={"kind": "township"}, headers=auth("admin")
    )
    assert published.status_code in (201, 409)
    body = {"kind": "township", "code": "150621002", "reason": "第三件事件的回访记录有误"}
    made = client.post("/api/v1/rankings/2023-Q2/appeals", json=body, headers=auth("township_peer"))
    assert made.status_code == 201, made.text
    found, sheet = _both(client, auth, "/api/v1/appeals", {"quarter": "2023-Q2"})
    assert [c.value for c in sheet[1]] == [h for _, h, _ in APPEAL_COLUMNS]
    words = {"upheld": "申诉成立", "rejected": "驳回", None: "待处理"}
    assert _rows(sheet) == [
        (
            a["id"], a["quarter"], "苏木镇", a["township"], a["code"], a["reason"], a["by"],
            _china(a["at"]), words[a["outcome"]], a["outcome_note"], a["decided_by"],
            _china(a["decided_at"]),
        )
        for a in found
    ]  # fmt: skip
    mine = [r for r in _rows(sheet) if r[0] == made.json()["id"]]
    assert [(r[2], r[4], r[5], r[8]) for r in mine] == [
        ("苏木镇", "150621002", "第三件事件的回访记录有误", "待处理")
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/indicators/trend",
        "/api/v1/indicators/categories",
        "/api/v1/evaluations",
        "/api/v1/scores",
        "/api/v1/appeals",
    ],
)
def test_an_unknown_format_is_refused_on_every_new_table(client, auth, url):
    response = client.get(url, params={"format": "xls"}, headers=auth("command"))
    assert response.status_code == 422
    assert "format" in {e["field"] for e in response.json()["errors"]}
