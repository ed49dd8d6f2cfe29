"""Readable incident codes: DLT-2026-000123, numbered per year of China Standard Time.

Examples
--------
>>> format_code(2026, 123)
'DLT-2026-000123'
"""

from __future__ import annotations

from sqlalchemy import Connection, text

#: 达拉特 (Dalad): the banner's code letters.
CODE_PREFIX = "DLT"
#: Incident years and deadlines are reckoned in China Standard Time.
TIMEZONE = "Asia/Shanghai"


def format_code(year: int, number: int) -> str:
    return f"{CODE_PREFIX}-{year}-{number:06d}"


def reserve_codes(conn: Connection, year: int, count: int = 1) -> list[str]:
    """Hand out ``count`` consecutive codes for ``year`` inside the caller's transaction.

    The counter row is locked until the transaction ends, so codes are gap-free and a rolled
    back transaction gives its numbers back.
    """
    last = conn.execute(
        text(
            "INSERT INTO incident_counter (year, last) VALUES (:year, :count) "
            "ON CONFLICT (year) DO UPDATE SET last = incident_counter.last + :count "
            "RETURNING last"
        ),
        {"year": year, "count": count},
    ).scalar_one()
    return [format_code(year, n) for n in range(last - count + 1, last + 1)]
