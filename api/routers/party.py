"""Party members (达拉特红): 在线报到, community tasks, claims, confirmation, points, the
quarterly ranking per community and the report-in share of each unit.

The rules live in :mod:`cases.party`; the handlers read the caller and call one function.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.auth import Reader
from api.deps import ConnDep, EngineDep
from api.party_schemas import (
    ConfirmIn,
    Points,
    Ranking,
    Registration,
    RegistrationIn,
    Task,
    TaskIn,
    Unit,
)
from api.schemas import Error
from api.xlsx import AS_XLSX, Column, workbook_response
from cases.party import members, points, tasks

router = APIRouter(prefix="/party", tags=["party members"])

TaskId = Annotated[int, Path(ge=1, le=2**62, description="The task's id.")]
Code = Annotated[str | None, Query(pattern=r"^[0-9]{6,20}$", description="An area code.")]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
TableFormat = Annotated[str, Query(pattern="^(json|xlsx)$", description="json or xlsx (Excel)")]
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error} for code in (403, 404, 409, 422)
}
READ_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Error} for code in (403, 404, 422)}
AS_TABLE: dict[int | str, dict[str, Any]] = {200: {"content": AS_XLSX}, **READ_ERRORS}

RANKING_COLUMNS: list[Column] = [
    ("rank", "名次", 6),
    ("member.name", "党员", 10),
    ("micro_grid.name", "报到微网格", 24),
    ("points", "积分", 8),
    ("completed", "本季完成任务", 12),
    ("no_shows", "本季未到岗", 10),
]
UNIT_COLUMNS: list[Column] = [
    ("code", "单位编码", 16),
    ("name", "单位（嘎查村/社区）", 24),
    ("members", "党员数", 8),
    ("registered", "已报到", 8),
    ("share", "报到率", 8),
    ("flagged", "低于95%", 8),
]


@router.post(
    "/registrations",
    status_code=201,
    response_model=Registration,
    responses=WRITE_ERRORS,
    summary="党员在线报到（居住地微网格、特长、可服务时间）",
)
def register(body: RegistrationIn, engine: EngineDep, principal: Reader) -> dict[str, Any]:
    with engine.begin() as conn:
        return members.register(
            conn,
            principal,
            micro_grid=body.micro_grid,
            skills=body.skills,
            availability=body.availability,
        )


@router.get(
    "/registrations",
    response_model=list[Registration],
    responses=READ_ERRORS,
    summary="报到名单（范围内的微网格）",
)
def registrations(
    conn: ConnDep, principal: Reader, within: Code = None, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    return members.registrations(conn, principal.scope, within=within, limit=limit, offset=offset)


@router.post(
    "/tasks",
    status_code=201,
    response_model=Task,
    responses=WRITE_ERRORS,
    summary="社区发布党员服务任务",
)
def publish_task(body: TaskIn, engine: EngineDep, principal: Reader) -> dict[str, Any]:
    with engine.begin() as conn:
        return tasks.publish(
            conn,
            principal,
            community=body.community,
            title=body.title,
            description=body.description,
            starts_at=body.starts_at,
        )


@router.get("/tasks", response_model=list[Task], responses=READ_ERRORS, summary="党员服务任务列表")
def list_tasks(
    conn: ConnDep,
    principal: Reader,
    community: Code = None,
    state: Annotated[str | None, Query(description="open, claimed, completed or no_show")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    return tasks.tasks(
        conn, principal, community=community, state=state, limit=limit, offset=offset
    )


@router.post(
    "/tasks/{task_id}/claims",
    status_code=201,
    response_model=Task,
    responses=WRITE_ERRORS,
    summary="党员认领任务（每项任务一人）",
)
def claim_task(task_id: TaskId, engine: EngineDep, principal: Reader) -> dict[str, Any]:
    with engine.begin() as conn:
        return tasks.claim(conn, principal, task_id)


@router.post(
    "/tasks/{task_id}/confirm",
    response_model=Task,
    responses=WRITE_ERRORS,
    summary="社区确认任务完成或未到岗",
)
def confirm_task(
    task_id: TaskId, body: ConfirmIn, engine: EngineDep, principal: Reader
) -> dict[str, Any]:
    with engine.begin() as conn:
        return tasks.confirm(conn, principal, task_id, body.outcome)


@router.get("/points", response_model=Points, responses=READ_ERRORS, summary="我的积分（本年度）")
def my_points(
    conn: ConnDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    return points.points(conn, principal, year)


@router.get(
    "/ranking",
    response_model=Ranking,
    responses=AS_TABLE,
    summary="社区党员季度积分排名",
)
def ranking(
    conn: ConnDep,
    principal: Reader,
    community: Annotated[str, Query(pattern=r"^[0-9]{6,20}$", description="Village code.")],
    quarter: Annotated[str | None, Query(description="e.g. 2026-Q3; default this one.")] = None,
    format: TableFormat = "json",
) -> Any:
    found = points.ranking(conn, principal, community, quarter or points.current_quarter())
    if format == "xlsx":
        name = f"{found['community']['name']}{found['quarter']}党员积分排名"
        return workbook_response(found["rows"], RANKING_COLUMNS, name)
    return found


@router.get(
    "/units",
    response_model=list[Unit],
    responses=AS_TABLE,
    summary="各单位党员报到率（低于95%标记）",
)
def units(
    conn: ConnDep, principal: Reader, within: Code = None, format: TableFormat = "json"
) -> Any:
    rows = members.units(conn, principal.scope, within=within)
    if format == "xlsx":
        return workbook_response(rows, UNIT_COLUMNS, "党员报到率")
    return rows
