from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import ConnDep, SettingsDep
from geo.errors import NotFound
from maps.command import command_page
from maps.field import field_page
from maps.heat import heat_page
from maps.plan import plan_page

router = APIRouter(prefix="/maps", tags=["maps"], default_response_class=HTMLResponse)


@router.get("/command", summary="指挥中心地图")
def command(conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return HTMLResponse(command_page(conn, settings))


@router.get("/heat", summary="热力与热点分析")
def heat(conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return HTMLResponse(heat_page(conn, settings))


@router.get("/field", summary="我的网格（手机）")
def field(
    conn: ConnDep,
    settings: SettingsDep,
    member: Annotated[int, Query(description="Member id.")],
) -> HTMLResponse:
    try:
        return HTMLResponse(field_page(conn, settings, member))
    except NotFound as exc:
        return HTMLResponse(
            f"<!doctype html><meta charset='utf-8'><title>找不到</title>"
            f"<p>找不到成员或其网格：{escape(str(exc))}</p>"
            "<p><a href='/maps/'>返回地图首页</a></p>",
            status_code=404,
        )


@router.get("/plan", summary="网格调整（草案、检查、影响、发布）")
def plan(
    settings: SettingsDep,
    plan: Annotated[int | None, Query(description="Draft id; without it, start a draft.")] = None,
) -> HTMLResponse:
    return HTMLResponse(plan_page(settings, plan))
