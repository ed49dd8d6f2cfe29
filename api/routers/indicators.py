"""The indicators of WORKFLOW.md §2 (issue #15): names, figures, the cases behind a figure,
a map by area, a month-by-month trend and the most frequent categories. Each handler calls
one function of :mod:`cases.indicators.compute`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from access.accounts import Permission
from api.auth import Principal, Reader
from api.deps import ConnDep, SettingsDep
from api.indicator_schemas import CategoryCount, IndicatorName, Indicators, Trend
from api.schemas import Error, IncidentPage
from api.xlsx import (
    AREA_COLUMNS,
    AS_XLSX,
    CATEGORY_COLUMNS,
    INCIDENT_COLUMNS,
    INDICATOR_COLUMNS,
    trend_columns,
    trend_rows,
    workbook_response,
)
from cases.indicators import compute
from cases.indicators.periods import YEARS, parse_period
from cases.indicators.registry import INDICATORS, indicator, resolve_names
from geo.errors import InvalidInput
from geo.geojson import GEOJSON, dumps
from geo.settings import Settings

router = APIRouter(tags=["indicators"])

Period = Annotated[
    str | None,
    Query(
        description="2026 | 2026-Q3 | 2026-09 | 2026-09-01/2026-09-30 (China time); "
        "default this month."
    ),
]
Area = Annotated[
    str | None, Query(description="Area code at any level: the node and its descendants.")
]
Department = Annotated[str | None, Query(description="Department code, e.g. D02.")]
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": Error}, 422: {"model": Error}}
TableFormat = Annotated[str, Query(pattern="^(json|xlsx)$", description="json or xlsx (Excel)")]
AS_TABLE: dict[int | str, dict[str, Any]] = {**ERRORS, 200: {"content": AS_XLSX}}


def rules(principal: Principal, settings: Settings) -> compute.Rules:
    """The figure rules for this caller: revealing roles see the cases, others get k."""
    return compute.Rules(
        settings.indicator_min_sample, settings.privacy_k, principal.can(Permission.REVEAL)
    )


@router.get("/indicators/names", response_model=list[IndicatorName], summary="指标名称与公式")
def indicator_names(principal: Reader) -> list[IndicatorName]:
    return [
        IndicatorName(name=i.name, label=i.label, formula=i.formula, unit=i.unit)
        for i in INDICATORS.values()
    ]


@router.get(
    "/indicators", response_model=Indicators, responses=AS_TABLE, summary="指标：按期间、区域、部门"
)
def indicators(
    principal: Reader,
    conn: ConnDep,
    settings: SettingsDep,
    period: Period = None,
    area: Area = None,
    department: Department = None,
    names: Annotated[str | None, Query(description="Comma-separated names; default all.")] = None,
    format: TableFormat = "json",
) -> Any:
    window = parse_period(period)
    where = compute.View(principal.scope, area, department)
    found = compute.figures(conn, window, where, resolve_names(names), rules(principal, settings))
    if format == "xlsx":
        name = f"指标{found['period']['label']}"
        return workbook_response(found["indicators"], INDICATOR_COLUMNS, name)
    return found


@router.get(
    "/indicators/cases", response_model=IncidentPage, responses=AS_TABLE, summary="指标背后的事件"
)
def indicator_cases(
    request: Request,
    principal: Reader,
    conn: ConnDep,
    name: Annotated[str | None, Query(description="An indicator name.")] = None,
    part: Annotated[str, Query(pattern="^(numerator|denominator)$")] = "numerator",
    period: Period = None,
    area: Area = None,
    department: Department = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: TableFormat = "json",
) -> Any:
    found = indicator(name)
    flag = found.numerator if part == "numerator" else found.denominator
    if flag is None:
        raise InvalidInput("part", f"{found.name} is a count: it has no denominator", where="query")
    where = compute.View(principal.scope, area, department)
    items = compute.cases(conn, parse_period(period), where, flag, limit=limit, offset=offset)
    if format == "xlsx":  # one page, as the JSON answer holds it
        return workbook_response(items, INCIDENT_COLUMNS, f"{found.label}事件")
    links = [{"rel": "self", "href": str(request.url)}]
    if len(items) == limit:
        links.append(
            {"rel": "next", "href": str(request.url.include_query_params(offset=offset + limit))}
        )
    return {"items": items, "next_cursor": None, "links": links}


@router.get(
    "/indicators/by-area",
    responses={**ERRORS, 200: {"content": {GEOJSON: {}, **AS_XLSX}}},
    summary="按区域的指标（GeoJSON）",
)
def indicators_by_area(
    principal: Reader,
    conn: ConnDep,
    settings: SettingsDep,
    name: Annotated[str | None, Query(description="An indicator name.")] = None,
    period: Period = None,
    level: Annotated[str, Query(description="township | village | grid")] = "township",
    within: Annotated[str | None, Query(description="Only areas inside this area code.")] = None,
    format: TableFormat = "json",
) -> Response:
    found = indicator(name)
    areas = compute.by_area(
        conn,
        parse_period(period),
        found,
        level,
        within,
        principal.scope,
        rules(principal, settings),
    )
    if format == "xlsx":
        rows = [f["properties"] for f in areas]
        return workbook_response(rows, AREA_COLUMNS, f"{found.label}分区")
    return Response(dumps({"type": "FeatureCollection", "features": areas}), media_type=GEOJSON)


@router.get(
    "/indicators/trend", response_model=Trend, responses=AS_TABLE, summary="指标月度趋势与去年同期"
)
def indicator_trend(
    principal: Reader,
    conn: ConnDep,
    settings: SettingsDep,
    name: Annotated[str | None, Query(description="An indicator name.")] = None,
    area: Area = None,
    year: Annotated[int | None, Query(ge=YEARS[0] + 1, le=YEARS[-1])] = None,
    format: TableFormat = "json",
) -> Any:
    found = indicator(name)
    the_year = year or datetime.now(UTC).year
    where = compute.View(principal.scope, area)
    trend = compute.trend(conn, found, the_year, where, rules(principal, settings))
    if format == "xlsx":
        title = f"{found.label}{the_year}年月度走势"
        return workbook_response(trend_rows(trend), trend_columns(the_year), title)
    return trend


@router.get(
    "/indicators/categories",
    response_model=list[CategoryCount],
    responses=AS_TABLE,
    summary="高发问题类别",
)
def indicator_categories(
    principal: Reader,
    conn: ConnDep,
    settings: SettingsDep,
    period: Period = None,
    area: Area = None,
    top: Annotated[int, Query(ge=1, le=50)] = 5,
    format: TableFormat = "json",
) -> Any:
    window = parse_period(period)
    where = compute.View(principal.scope, area)
    found = compute.categories(conn, window, where, top, rules(principal, settings))
    if format == "xlsx":
        return workbook_response(found, CATEGORY_COLUMNS, f"高发问题类别{window.label}")
    return found
