"""The whistle (街道吹哨、部门报到, ``cases.whistle``): blow, acknowledge, check in, leave,
release, score; the whistles in the caller's scope and the departments summoned twice.

Each write is one transaction in the domain function; a refusal writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse

from api.auth import Reader
from api.deps import ConnDep, EngineDep, SettingsDep
from api.schemas import Error
from api.whistle_schemas import (
    CheckInIn,
    CheckInOut,
    ConflictList,
    ScoresIn,
    Whistle,
    WhistleIn,
    WhistleList,
)
from cases.whistle import attend, blow, read, scores

router = APIRouter(tags=["whistles"])

_RETRY: dict[int | str, dict[str, Any]] = {
    200: {"model": CheckInOut, "description": "A retry: the first check-in, nothing written."}
}

WhistleId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_WRITE: dict[int | str, dict[str, Any]] = {
    403: {"model": Error},
    404: {"model": Error},
    409: {"model": Error},
    422: {"model": Error},
}


@router.post(
    "/whistles",
    status_code=201,
    response_model=Whistle,
    responses=_WRITE,
    summary="吹哨：召集主办、协办部门到场",
)
def blow_whistle(body: WhistleIn, engine: EngineDep, principal: Reader) -> dict[str, Any]:
    with engine.begin() as conn:
        return blow.blow(conn, principal, body.model_dump(exclude_none=True))


@router.get(
    "/whistles",
    response_model=WhistleList,
    responses={422: {"model": Error}},
    summary="哨令列表（本人可见范围）",
)
def list_whistles(
    conn: ConnDep,
    principal: Reader,
    code: Annotated[str | None, Query(max_length=32, description="Of one case.")] = None,
    open_only: Annotated[bool, Query(alias="open", description="Only open ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=read.MAX_LIST)] = 100,
) -> dict[str, Any]:
    items = read.whistles(
        conn,
        principal.scope,
        code=code,
        open_only=open_only,
        limit=limit,
        whistler=principal.username,
    )
    return {"items": items}


@router.get(
    "/whistles/suggestion",
    responses={403: {"model": Error}, 404: {"model": Error}, 422: {"model": Error}},
    summary="吹哨表单的建议：主办、协办部门（按派遣矩阵）与事件位置",
)
def whistle_suggestion(
    conn: ConnDep,
    principal: Reader,
    code: Annotated[str, Query(min_length=1, max_length=32, description="The case's code.")],
) -> dict[str, Any]:
    return blow.suggestion(conn, principal, code)


@router.get(
    "/whistles/conflicts",
    response_model=ConflictList,
    summary="同一部门被多个哨令同时召集（旗指挥中心）",
)
def whistle_conflicts(conn: ConnDep, principal: Reader) -> dict[str, Any]:
    return {"items": read.conflicts(conn, principal.scope, principal.username)}


@router.get(
    "/whistles/{whistle_id}",
    response_model=Whistle,
    responses={404: {"model": Error}, 422: {"model": Error}},
    summary="哨令详情与报到情况",
)
def get_whistle(whistle_id: WhistleId, conn: ConnDep, principal: Reader) -> dict[str, Any]:
    return read.whistle(conn, whistle_id, scope=principal.scope, whistler=principal.username)


@router.post(
    "/whistles/{whistle_id}/acknowledgements",
    response_model=Whistle,
    responses=_WRITE,
    summary="部门签收哨令",
)
def acknowledge(whistle_id: WhistleId, engine: EngineDep, principal: Reader) -> dict[str, Any]:
    with engine.begin() as conn:
        return attend.acknowledge(conn, principal, whistle_id)


@router.post(
    "/whistles/{whistle_id}/check-ins",
    status_code=201,
    response_model=CheckInOut,
    responses=_RETRY | _WRITE,
    summary="部门到场报到（手机定位与精度）",
)
def check_in(
    whistle_id: WhistleId,
    body: CheckInIn,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Reader,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    with engine.begin() as conn:
        view, checkin, new = attend.check_in(
            conn,
            principal,
            whistle_id,
            body.model_dump(exclude_none=True),
            idempotency_key=idempotency_key,
            max_accuracy_m=settings.whistle_max_accuracy_m,
            default_buffer_m=settings.whistle_default_buffer_m,
        )
    answer = {"whistle": view, "check_in": checkin, "replayed": not new}
    return JSONResponse(answer, status_code=201 if new else 200)


@router.post(
    "/whistles/{whistle_id}/departures",
    response_model=Whistle,
    responses=_WRITE,
    summary="部门离场（未解哨前离场记为提前离场）",
)
def depart(whistle_id: WhistleId, engine: EngineDep, principal: Reader) -> dict[str, Any]:
    with engine.begin() as conn:
        return attend.depart(conn, principal, whistle_id)


@router.post(
    "/whistles/{whistle_id}/release",
    response_model=Whistle,
    responses=_WRITE,
    summary="解哨：事毕放行各部门",
)
def release(whistle_id: WhistleId, engine: EngineDep, principal: Reader) -> dict[str, Any]:
    with engine.begin() as conn:
        return attend.release(conn, principal, whistle_id)


@router.post(
    "/whistles/{whistle_id}/scores",
    status_code=201,
    response_model=Whistle,
    responses=_WRITE,
    summary="一哨一考核：评报到效率、办理情况、结果满意度",
)
def score(
    whistle_id: WhistleId, body: ScoresIn, engine: EngineDep, principal: Reader
) -> dict[str, Any]:
    items = [s.model_dump() for s in body.scores]
    with engine.begin() as conn:
        return scores.score(conn, principal, whistle_id, items)
