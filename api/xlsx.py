"""Any table as an Excel workbook (``?format=xlsx``), the way offices are used to reading it.

One sheet: a bold header row of Chinese column names, frozen, each column at its width; then a
row per item. A column's key is a dotted path into the item (``category.name``), so the items
of a JSON answer go in as they are. Numbers stay numbers; a time (a ``datetime`` or an ISO 8601
text with an offset) becomes an Excel date-time in China time (UTC+8), so a column can be
sorted and summed; a flag reads 是/否; a list is joined with 、, unless the key picks one of
its items by position (``quarters.0``). Items come from answers that
are already masked, and every text cell is masked once more (:func:`geo.privacy.mask_text`),
so no workbook carries a phone or ID number in clear whatever its rows were built from.

Examples
--------
>>> cell({"a": {"b": 3}}, "a.b"), cell({"a": None}, "a.b"), cell({"ok": True}, "ok")
(3, None, '是')
>>> cell({"at": "2026-09-30T18:00:00+00:00"}, "at")
datetime.datetime(2026, 10, 1, 2, 0)
>>> cell({"note": "电话13812345678"}, "note")
'电话138****5678'
>>> cell({"top": [{"code": "01", "name": "矛盾纠纷"}, {"code": "06", "name": "民生诉求"}]}, "top")
'矛盾纠纷、民生诉求'
>>> cell({"quarters": [91.5, None, 88.0, 90.0]}, "quarters.2"), cell({"quarters": []}, "quarters.0")
(88.0, None)
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from fastapi import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from geo.privacy import mask_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHINA = timezone(timedelta(hours=8))
DATE_FORMAT = "yyyy-mm-dd hh:mm"
#: A column: the item's key (a dotted path), its Chinese header and its width in characters.
Column = tuple[str, str, float]

#: The 200 answer's extra content type, for a route's ``responses``.
AS_XLSX: dict[str, dict[str, Any]] = {
    MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
}

#: An incident as the incident list and the figures' drill-down answer it (cases.views.view).
INCIDENT_COLUMNS: list[Column] = [
    ("code", "事件编号", 20),
    ("status_label", "状态", 10),
    ("category.major_name", "大类", 14),
    ("category.name", "小类", 18),
    ("description", "描述", 40),
    ("reported_at", "上报时间", 18),
    ("deadline_at", "处置期限", 18),
    ("step_due_at", "当前环节期限", 18),
    ("assignment.queue_area.name", "所属区域", 20),
    ("responsible.department.name", "责任部门", 18),
    ("responsible.member.name", "责任人", 10),
    ("level", "办理层级", 10),
    ("closed_level", "结案层级", 10),
    ("card", "督办牌", 8),
    ("urgent", "紧急", 6),
    ("reopened_count", "发回重办次数", 12),
    ("location.cgcs2000.lon", "经度", 14),
    ("location.cgcs2000.lat", "纬度", 14),
]


def _china_time(value: datetime) -> datetime:
    """A time as a naive China-time value to the second (Excel has no offsets, and keeps
    milliseconds at best, so a cell never disagrees with its JSON below a second); a naive one
    is taken as UTC."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(CHINA).replace(tzinfo=None, microsecond=0)


def _time_text(text: str) -> datetime | None:
    """An ISO 8601 time with an offset (what every answer writes), else None."""
    if len(text) < 19 or text[4] != "-" or text[10] != "T":
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _china_time(parsed) if parsed.tzinfo is not None else None


def _item(value: Any) -> str:
    """One item of a list as a cell shows it: a named object by its name."""
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("code") or "")
    return str(value)


def cell(item: Mapping[str, Any], key: str) -> Any:
    """The value of ``key`` (a dotted path) in ``item`` as a cell holds it."""
    value: Any = item
    for part in key.split("."):
        if isinstance(value, list | tuple) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, Mapping):
            value = value.get(part)
        else:
            return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return _china_time(value)
    if isinstance(value, str):
        return _time_text(value) or mask_text(value)
    if isinstance(value, list | tuple):
        return mask_text("、".join(_item(v) for v in value))
    if isinstance(value, Mapping):
        return mask_text(_item(value))
    return value


def workbook(
    rows: Iterable[Mapping[str, Any]], columns: list[Column], title: str = "Sheet1"
) -> bytes:
    """The rows as an ``.xlsx`` file's bytes (see the module's docstring)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet1"
    sheet.append([header for _, header, _ in columns])
    bold = Font(bold=True)
    for index, (_, _, width) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        sheet.cell(row=1, column=index).font = bold
        sheet.cell(row=1, column=index).alignment = Alignment(horizontal="center")
    for item in rows:
        values = [cell(item, key) for key, _, _ in columns]
        sheet.append(values)
        for index, value in enumerate(values, start=1):
            if isinstance(value, datetime):
                sheet.cell(row=sheet.max_row, column=index).number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook_response(
    rows: Iterable[Mapping[str, Any]], columns: list[Column], filename: str
) -> Response:
    """The rows as a download named ``filename`` (Chinese allowed; ``.xlsx`` added if missing)."""
    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    data = workbook(rows, columns, title=filename.removesuffix(".xlsx"))
    disposition = f"attachment; filename=\"table.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=MEDIA_TYPE, headers={"Content-Disposition": disposition})


#: The figures of ``GET /api/v1/indicators`` (rates as fractions: 0.975 is 97.5 %).
INDICATOR_COLUMNS: list[Column] = [
    ("name", "指标代码", 24),
    ("label", "指标", 14),
    ("numerator", "分子（件）", 12),
    ("denominator", "分母（件）", 12),
    ("value", "数值", 12),
    ("insufficient", "样本不足", 10),
    ("suppressed", "不公开", 8),
]
#: One area of ``GET /api/v1/indicators/by-area``.
AREA_COLUMNS: list[Column] = [("code", "区域代码", 18), ("name", "区域", 20)] + [
    c for c in INDICATOR_COLUMNS if c[0] not in ("name", "label")
]
#: One row of ``GET /api/v1/rankings``.
RANKING_COLUMNS: list[Column] = [
    ("rank", "名次", 6),
    ("code", "代码", 14),
    ("name", "名称", 26),
    ("score", "得分", 10),
    ("change", "较上季度", 10),
    ("top_categories", "高发问题", 30),
]


def trend_columns(year: int) -> list[Column]:
    """One month of ``GET /api/v1/indicators/trend`` (:func:`trend_rows`); the two years'
    headers name the years."""
    return [
        ("month", "月份", 10),
        ("this_year", f"{year}年", 12),
        ("last_year", f"{year - 1}年（上年同期）", 18),
    ]


def trend_rows(trend: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A trend answer's parallel lists as one row per month.

    >>> trend_rows({"months": ["2024-01"], "this_year": [0.5], "last_year": [None]})
    [{'month': '2024-01', 'this_year': 0.5, 'last_year': None}]
    """
    return [
        {"month": m, "this_year": this, "last_year": last}
        for m, this, last in zip(
            trend["months"], trend["this_year"], trend["last_year"], strict=True
        )
    ]


#: One category of ``GET /api/v1/indicators/categories``.
CATEGORY_COLUMNS: list[Column] = [
    ("code", "类别代码", 10),
    ("name", "问题类别", 20),
    ("count", "件数", 8),
]
#: One unit of ``GET /api/v1/evaluations`` (年终评一评).
EVALUATION_COLUMNS: list[Column] = [
    ("rank", "名次", 6),
    ("code", "代码", 14),
    ("name", "名称", 26),
    ("quarters.0", "第一季度", 10),
    ("quarters.1", "第二季度", 10),
    ("quarters.2", "第三季度", 10),
    ("quarters.3", "第四季度", 10),
    ("quarter_mean", "季度平均", 10),
    ("review", "年终评议", 10),
    ("score", "总分", 8),
    ("grade", "等级", 8),
    ("complete", "已评定", 8),
]
#: One score of ``GET /api/v1/scores`` (苏木镇对部门赋分).
SCORE_COLUMNS: list[Column] = [
    ("id", "编号", 8),
    ("incident", "事件编号", 20),
    ("township_code", "苏木镇代码", 12),
    ("department", "部门代码", 10),
    ("score", "分数", 8),
    ("reason", "理由", 40),
    ("by", "评分账号", 14),
    ("at", "评分时间", 18),
]
#: One appeal of ``GET /api/v1/appeals`` (``kind`` and ``outcome`` in words: :func:`appeal_row`).
APPEAL_COLUMNS: list[Column] = [
    ("id", "编号", 8),
    ("quarter", "季度", 10),
    ("kind", "排名类别", 12),
    ("township", "所属苏木镇", 12),
    ("code", "申诉单位代码", 14),
    ("reason", "申诉理由", 40),
    ("by", "申诉账号", 14),
    ("at", "申诉时间", 18),
    ("outcome", "处理结果", 10),
    ("outcome_note", "处理说明", 30),
    ("decided_by", "处理账号", 14),
    ("decided_at", "处理时间", 18),
]
KIND_WORDS = {"township": "苏木镇", "department": "职能部门", "village": "嘎查村社区"}
OUTCOME_WORDS = {"upheld": "申诉成立", "rejected": "驳回", None: "待处理"}


def appeal_row(appeal: Mapping[str, Any]) -> dict[str, Any]:
    """An appeal as its workbook row: the ranking's kind and the outcome in words.

    >>> appeal_row({"kind": "township", "outcome": None})
    {'kind': '苏木镇', 'outcome': '待处理'}
    """
    return {
        **appeal,
        "kind": KIND_WORDS.get(appeal["kind"], appeal["kind"]),
        "outcome": OUTCOME_WORDS.get(appeal["outcome"], appeal["outcome"]),
    }
