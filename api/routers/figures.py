"""GET /api/v1/incidents/summary: the command centre's four figures in the caller's scope."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Reader
from api.deps import ReadConnDep
from api.schemas import Error, IncidentSummary
from cases.figures import summary

router = APIRouter(tags=["incidents"])


@router.get(
    "/incidents/summary",
    response_model=IncidentSummary,
    responses={422: {"model": Error}},
    summary="指挥中心数字：今日新增、在办、24小时内到期、已超期",
)
def incident_summary(
    principal: Reader,
    conn: ReadConnDep,
    area: Annotated[str | None, Query(description="Area code at any level.")] = None,
) -> IncidentSummary:
    return IncidentSummary(**asdict(summary(conn, scope=principal.scope, area=area)))
