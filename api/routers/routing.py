"""The routing matrix: anyone signed in reads it; the routing editors (admin) change it, and
every change is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.auth import Reader, RoutingEditor
from api.deps import ConnDep, EngineDep
from api.schemas import DepartmentChoice, Error
from cases import routing

router = APIRouter(tags=["routing"])


@router.get("/categories", summary="事件分类（大类、小类、默认部门、办理时限、敏感标记）")
def categories(conn: ConnDep, _: Reader) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "major_code": c.parent_code,
            "time_limit_hours": c.time_limit_hours,
            "sensitive": c.sensitive,
        }
        for c in routing.categories(conn)
    ]


@router.get("/routing", summary="分流矩阵：类别 → 部门，含苏木镇例外")
def matrix(conn: ConnDep, _: Reader) -> list[dict[str, Any]]:
    return routing.matrix(conn)


@router.put(
    "/routing/{category_code}",
    status_code=204,
    responses={403: {"model": Error}, 422: {"model": Error}},
    summary="设置类别的默认部门",
)
def set_default(
    category_code: str, choice: DepartmentChoice, engine: EngineDep, principal: RoutingEditor
) -> Response:
    with engine.begin() as conn:
        routing.set_default(conn, category_code, choice.department_code, actor=principal.actor)
    return Response(status_code=204)


@router.put(
    "/routing/{category_code}/townships/{township_code}",
    status_code=204,
    responses={403: {"model": Error}, 422: {"model": Error}},
    summary="设置某苏木镇的例外部门",
)
def set_override(
    category_code: str,
    township_code: str,
    choice: DepartmentChoice,
    engine: EngineDep,
    principal: RoutingEditor,
) -> Response:
    with engine.begin() as conn:
        routing.set_override(
            conn, category_code, township_code, choice.department_code, actor=principal.actor
        )
    return Response(status_code=204)


@router.delete(
    "/routing/{category_code}/townships/{township_code}",
    status_code=204,
    responses={403: {"model": Error}, 404: {"model": Error}},
    summary="删除某苏木镇的例外",
)
def remove_override(
    category_code: str, township_code: str, engine: EngineDep, principal: RoutingEditor
) -> Response:
    with engine.begin() as conn:
        routing.remove_override(conn, category_code, township_code, actor=principal.actor)
    return Response(status_code=204)
