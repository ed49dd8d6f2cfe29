"""Indicators from the trail: :func:`figures` for a period, an area node (with its
descendants) and a department; :func:`cases` behind any count; :func:`by_area`,
:func:`trend` and :func:`categories` for the dashboard.

Every count comes from ONE statement (``sql/indicator_counts.sql``), grouped or not, over the
sets of cases ``sql/fragments/indicator_flags.sql`` defines; the registry
(:mod:`cases.indicators.registry`) turns counts into figures. Two rules apply to each figure:

* 样本不足: a rate whose denominator is under ``min_sample`` has no value (``insufficient``);
* privacy: for a caller who may not see the cases (no reveal permission), a count from 1 to
  k − 1 (numerator or denominator) is hidden (``suppressed``: all three null), so a small
  village's single case cannot be read off an aggregate. Zero reveals nobody and is shown.

An area or department outside the caller's scope is 404, exactly as a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from cases.incidents import incidents_by_ids
from cases.indicators.periods import Window, month, parse_period
from cases.indicators.registry import INDICATORS, SETS, Indicator
from cases.indicators.sql import query
from geo.areas import current_generation, find_area
from geo.errors import InvalidInput, NotFound
from geo.scope import Scope

#: The level of a map by area → how many characters of an area code name it.
LEVEL_CODE_LENGTH = {"township": 9, "village": 12, "grid": 14}
MAX_CASES_PAGE = 500
_AREA_FIELDS = ("numerator", "denominator", "value", "insufficient", "suppressed")


@dataclass(frozen=True)
class Rules:
    """The two figure rules: the minimum sample and k, and whether the caller sees cases."""

    min_sample: int = 5
    k: int = 3
    sees_cases: bool = True


@dataclass(frozen=True)
class View:
    """Which cases a figure is over: the caller's scope, an area node, a department."""

    scope: Scope
    area: str | None = None
    department: str | None = None


def named_area(
    conn: Connection, code: str | None, scope: Scope, field: str = "area"
) -> dict[str, str] | None:
    """``{"code", "name"}`` of the live area ``code`` inside ``scope``; None for None."""
    if code is None:
        return None
    if not code.isdigit() or len(code) > 19:
        raise InvalidInput(field, f"{code[:40]!r} is not an area code", where="query")
    try:
        row = find_area(conn, code, current_generation(conn), scope=scope)
    except NotFound:
        raise NotFound(f"area {code} does not exist") from None
    return {"code": row.code, "name": row.name}


def named_department(
    conn: Connection, code: str | None, scope: Scope, field: str = "department"
) -> dict[str, str] | None:
    """``{"code", "name"}`` of department ``code``; 404 when unknown or outside the scope."""
    if code is None:
        return None
    if len(code) > 16 or not code.isalnum():
        raise InvalidInput(field, f"{code[:40]!r} is not a department code", where="query")
    row = conn.execute(query("department_named"), {"code": code}).one_or_none()
    if row is None or scope.department not in (None, row.code):
        raise NotFound(f"department {code} does not exist")
    return {"code": row.code, "name": row.name}


def _periods(windows: Sequence[Window], now: datetime | None) -> dict[str, list[datetime]]:
    at = now or datetime.now(UTC)
    return {
        "starts": [w.start for w in windows],
        "ends": [w.end for w in windows],
        "as_ofs": [min(w.end, at) for w in windows],
    }


def counts_by_period(
    conn: Connection,
    windows: Sequence[Window],
    where: View,
    *,
    group_by: str = "none",
    key_len: int = 0,
    now: datetime | None = None,
) -> dict[tuple[int, str], dict[str, int]]:
    """Every set's count by (period index, group key ('' when not grouped)), in one pass."""
    rows = conn.execute(
        query("indicator_counts"),
        {
            **_periods(windows, now),
            "area": where.area,
            "department": where.department,
            "group_by": group_by,
            "key_len": key_len,
            **where.scope.params(),
        },
    ).mappings()
    return {(int(r["k"]) - 1, r["key"]): {s: int(r[s]) for s in SETS} for r in rows}


def counts(
    conn: Connection,
    window: Window,
    where: View,
    *,
    group_by: str = "none",
    key_len: int = 0,
    now: datetime | None = None,
) -> dict[str, dict[str, int]]:
    """Every set's count in one period, by group key ('' when not grouped)."""
    found = counts_by_period(conn, [window], where, group_by=group_by, key_len=key_len, now=now)
    return {key: c for (_, key), c in found.items()}


def _hidden(n: int | None, rules: Rules) -> bool:
    return not rules.sees_cases and n is not None and 0 < n < rules.k


def figure(indicator: Indicator, found: Mapping[str, int], rules: Rules) -> dict[str, Any]:
    """One indicator's figure from the counts of its sets, with both rules applied."""
    numerator = found.get(indicator.numerator, 0)
    denominator = None if indicator.denominator is None else found.get(indicator.denominator, 0)
    if denominator is None:
        value: float | None = float(numerator)
        insufficient = False
    else:
        insufficient = denominator < rules.min_sample
        value = None if insufficient or denominator == 0 else numerator / denominator
    suppressed = _hidden(numerator, rules) or _hidden(denominator, rules)
    return {
        "name": indicator.name,
        "label": indicator.label,
        "numerator": None if suppressed else numerator,
        "denominator": None if suppressed else denominator,
        "value": None if suppressed else value,
        "insufficient": insufficient,
        "suppressed": suppressed,
    }


def figures(
    conn: Connection,
    window: Window,
    where: View,
    names: Sequence[str],
    rules: Rules,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The answer of ``GET /indicators``: the period, the area and department, the figures."""
    area = named_area(conn, where.area, where.scope)
    department = named_department(conn, where.department, where.scope)
    found = counts(conn, window, where, now=now).get("", {})
    return {
        "period": window.as_dict(),
        "area": area,
        "department": department,
        "indicators": [figure(INDICATORS[n], found, rules) for n in names],
    }


def cases(
    conn: Connection,
    window: Window,
    where: View,
    flag: str,
    *,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The incidents (as the incident list shows them) in the set ``flag``, newest first."""
    if flag not in SETS:
        raise InvalidInput("part", f"no set {flag!r}", where="query")
    if not 1 <= limit <= MAX_CASES_PAGE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_CASES_PAGE}", where="query")
    if not 0 <= offset <= 10_000_000:
        raise InvalidInput("offset", "must be between 0 and 10000000", where="query")
    named_area(conn, where.area, where.scope)
    named_department(conn, where.department, where.scope)
    ids = (
        conn.execute(
            query("indicator_cases"),
            {
                **_periods([window], now),
                "area": where.area,
                "department": where.department,
                "group_by": "none",
                "key_len": 0,
                "flag": flag,
                "limit": limit,
                "offset": offset,
                **where.scope.params(),
            },
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    return incidents_by_ids(conn, list(ids))


def by_area(
    conn: Connection,
    window: Window,
    indicator: Indicator,
    level: str,
    within: str | None,
    scope: Scope,
    rules: Rules,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One GeoJSON Feature (properties ``code``, ``name`` and the figure) per live area of
    ``level`` under ``within`` (default: the caller's area, else the banner) inside the scope."""
    key_len = LEVEL_CODE_LENGTH.get(level)
    if key_len is None:
        raise InvalidInput(
            "level", f"expected one of {', '.join(LEVEL_CODE_LENGTH)}, got {level!r}", where="query"
        )
    named_area(conn, within, scope, "within")
    where = View(scope, within)
    found = counts(conn, window, where, group_by="area", key_len=key_len, now=now)
    areas = conn.execute(
        query("indicator_areas"),
        {
            "g": current_generation(conn),
            "level": level,
            "parent": within,
            "codes": None,
            "xmin": None,
            "ymin": None,
            "xmax": None,
            "ymax": None,
            **scope.params(),
        },
    )
    out = []
    for a in areas:
        one = figure(indicator, found.get(a.code, {}), rules)
        properties = {"code": a.code, "name": a.name, **{k: one[k] for k in _AREA_FIELDS}}
        out.append(
            {
                "type": "Feature",
                "id": a.code,
                "geometry": json.loads(a.geometry),
                "properties": properties,
            }
        )
    return out


def trend(
    conn: Connection,
    indicator: Indicator,
    year: int,
    where: View,
    rules: Rules,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The indicator month by month in ``year`` and the year before (None: no value)."""
    named_area(conn, where.area, where.scope)
    windows = [month(y, m) for y in (year, year - 1) for m in range(1, 13)]
    found = counts_by_period(conn, windows, where, now=now)
    values = [figure(indicator, found.get((k, ""), {}), rules)["value"] for k in range(24)]
    return {
        "name": indicator.name,
        "label": indicator.label,
        "months": [f"{year}-{m:02d}" for m in range(1, 13)],
        "this_year": values[:12],
        "last_year": values[12:],
    }


def categories(
    conn: Connection, window: Window, where: View, top: int, rules: Rules
) -> list[dict[str, Any]]:
    """The ``top`` most frequent major categories reported in the period; a count under k is
    left out for a caller who may not see the cases."""
    if not 1 <= top <= 50:
        raise InvalidInput("top", "must be between 1 and 50", where="query")
    named_area(conn, where.area, where.scope)
    rows = conn.execute(
        query("indicator_categories"),
        {
            "start": window.start,
            "end": window.end,
            "area": where.area,
            "department": where.department,
            "top": top,
            **where.scope.params(),
        },
    )
    return [{"code": r.code, "name": r.name, "count": r.n} for r in rows if not _hidden(r.n, rules)]


def latest_month_before(conn: Connection, before: Window) -> Window | None:
    """The last month before ``before`` (its start) in which a case was reported, or None."""
    found = conn.execute(query("latest_month_before"), {"before": before.start}).scalar()
    return None if found is None else parse_period(found)
