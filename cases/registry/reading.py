"""Reading an office's household file: CSV (UTF-8) or Excel ``.xlsx``, one row per person.

The header names the columns in Chinese (as offices keep them) or by their field names:

    户编号 household, 房屋编号 house, 地址 address, 经度 lon, 纬度 lat, 姓名 name,
    身份证号 id_number, 联系电话 phone, 民族 ethnicity, 居住类型 residence_type (户籍/流动/境外),
    与户主关系 relation (户主 marks the head), 党员 party_member (是/否), 标签 tags (;-separated)

of which the first seven are required. A file missing one, or an Excel sheet whose header
row holds merged cells (a two-storey header), is refused as a whole
(:class:`~geo.errors.InvalidFile`), naming the columns or the merged range. Rows are numbered
as the office sees them: the header is line 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import InvalidFile

#: field → the Chinese header offices use.
COLUMNS = {
    "household": "户编号",
    "house": "房屋编号",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "ethnicity": "民族",
    "residence_type": "居住类型",
    "relation": "与户主关系",
    "party_member": "党员",
    "tags": "标签",
}
REQUIRED = ("household", "house", "address", "lon", "lat", "name", "id_number")
_BY_HEADER = {**{v: k for k, v in COLUMNS.items()}, **{k: k for k in COLUMNS}}


@dataclass(frozen=True)
class Sheet:
    format: str  # csv or xlsx
    rows: list[tuple[int, dict[str, str]]]  # (line, field → text)


def _fields(header: list[Any]) -> list[str | None]:
    names = [_BY_HEADER.get(str(h).strip()) if h is not None else None for h in header]
    missing = [f for f in REQUIRED if f not in names]
    if missing:
        said = ", ".join(f"{COLUMNS[f]} ({f})" for f in missing)
        raise InvalidFile("file", f"missing column(s): {said}; the header is line 1")
    return names


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(
    header: list[Any], rows: Iterator[tuple[int, list[Any]]]
) -> list[tuple[int, dict[str, str]]]:
    names = _fields(header)
    out = []
    for line, values in rows:
        if not any(_text(v) for v in values):
            continue
        out.append(
            (line, {n: _text(v) for n, v in zip(names, values, strict=False) if n is not None})
        )
    return out


def read_sheet(path: Path) -> Sheet:
    """The rows of ``path`` (told apart by content: an .xlsx is a zip archive)."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(b"PK"):
        return Sheet("xlsx", _read_xlsx(path))
    return Sheet("csv", _read_csv(path))


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidFile("file", f"is not UTF-8 text (byte {exc.start})") from None
    if not content.strip():
        raise InvalidFile("file", "is empty")
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader)
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InvalidFile("file", f"is not readable CSV: {exc}") from None
    return _records(list(header), iter(rows))


def _read_xlsx(path: Path) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # a broken archive, not a workbook, or encrypted
        raise InvalidFile(
            "file", f"is not a readable .xlsx workbook ({type(exc).__name__})"
        ) from None
    sheet = book.worksheets[0]
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= 1:
            raise InvalidFile(
                "file",
                f"the header row has merged cells ({merged.coord}): one column per field, "
                "header on line 1",
            )
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    if header is None:
        raise InvalidFile("file", "is empty")
    return _records(list(header), ((i, list(r)) for i, r in enumerate(values, start=2)))
