"""GET /api/v1/heat/areas, /heat/bins and /heat/hotspots: where incidents concentrate, inside
the caller's scope (for department staff, among the incidents routed to their department)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.auth import Reader
from api.deps import ConnDep, GenerationDep, PrivacyKDep
from api.geojson import feature_set, geojson_body
from api.replica import replica_read
from api.schemas import Error, HeatAreas, HeatBins, Hotspots
from cases.models import IncidentStatus
from geo import heat, hotspots
from geo.errors import InvalidInput

router = APIRouter(prefix="/heat", tags=["heat"])
ERRORS: dict[int | str, dict[str, object]] = {422: {"model": Error}}


def parse_statuses(value: str | None) -> tuple[str, ...]:
    statuses = tuple(s.strip() for s in (value or "").split(",") if s.strip())
    for status in statuses:
        if status not in IncidentStatus.__members__.values():
            choices = ", ".join(s.value for s in IncidentStatus)
            raise InvalidInput("status", f"unknown status {status!r}; expected {choices}")
    return statuses


def heat_filter(
    category: Annotated[
        str, Query(description="2-digit major or 4-digit minor class; default 01 矛盾纠纷.")
    ] = heat.DEFAULT_CATEGORY,
    reported_from: Annotated[
        datetime | None, Query(alias="from", description="reported_at ≥ this, with offset.")
    ] = None,
    reported_to: Annotated[
        datetime | None, Query(alias="to", description="reported_at < this, with offset.")
    ] = None,
    status: Annotated[str | None, Query(description="Comma-separated statuses.")] = None,
) -> heat.HeatFilter:
    return heat.HeatFilter(category, reported_from, reported_to, parse_statuses(status))


HeatFilterDep = Annotated[heat.HeatFilter, Depends(heat_filter)]
Simplify = Annotated[float, Query(description="Simplification tolerance in metres (0–10000).")]


@router.get(
    "/areas",
    response_model=HeatAreas,
    responses=ERRORS,
    summary="按微网格统计事件数与每千人发生率（含分级断点）",
)
@replica_read
def heat_areas(
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    where: HeatFilterDep,
    k: PrivacyKDep,
    simplify: Simplify = 0.0,
) -> Response:
    return geojson_body(
        heat.areas(
            conn, where, generation=generation, scope=principal.scope, simplify_m=simplify, k=k
        )
    )


@router.get(
    "/bins",
    response_model=HeatBins,
    responses=ERRORS,
    summary="六边形格网密度（仅返回有事件的格）",
)
@replica_read
def heat_bins(
    principal: Reader,
    conn: ConnDep,
    where: HeatFilterDep,
    k: PrivacyKDep,
    size: Annotated[
        float,
        Query(
            description=f"Hexagon edge in metres ({heat.MIN_BIN_SIZE_M:g}–{heat.MAX_BIN_SIZE_M:g})."
        ),
    ] = heat.BIN_SIZE_M,
) -> Response:
    return feature_set(heat.bins(conn, where, scope=principal.scope, size_m=size, k=k))


@router.get(
    "/hotspots",
    response_model=Hotspots,
    responses=ERRORS,
    summary="Getis-Ord Gi* 热点与冷点分析（按微网格）",
)
@replica_read
def heat_hotspots(
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    where: HeatFilterDep,
    k: PrivacyKDep,
    simplify: Simplify = 0.0,
) -> Response:
    found = hotspots.hotspots(
        conn, where, generation=generation, scope=principal.scope, simplify_m=simplify, k=k
    )
    return geojson_body(found)
