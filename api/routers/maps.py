"""The map pages. Each shows only what the signed-in account may see: the data arrives from the
API (which filters by the account's scope), the first view frames the account's own area, and
the header names the account (a member's name masked) with a sign-out button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from access.accounts import Permission
from api.auth import Principal, PrincipalDep, Reader, page
from api.deps import ConnDep, SettingsDep
from geo.areas import current_generation
from geo.errors import NotFound
from geo.places import extent, title_place
from geo.plans.drafts import get_plan
from geo.privacy import mask_name
from geo.scope import Scope
from maps.command import command_page
from maps.dashboard import dashboard_page
from maps.field import field_page
from maps.heat import heat_page
from maps.pages import Viewer, error_page
from maps.plan import plan_page
from maps.summons import summons_page

router = APIRouter(prefix="/maps", tags=["maps"], default_response_class=HTMLResponse)


def viewer(principal: Principal, conn: Connection | None = None) -> Viewer:
    """The header's account: a member's own name is personal data, so it comes masked. With
    ``conn``, the place its pages are titled by (the viewer's province, city or county-level
    unit, :func:`geo.places.title_place`)."""
    name = principal.display_name
    if principal.member_id is not None:
        name = mask_name(name) or principal.username
    if conn is None:
        return Viewer(name=name, role_label=principal.role_label)
    place = title_place(conn, principal.scope.area_prefix)
    return Viewer(name=name, role_label=principal.role_label, place=place)


def _frame(conn: Connection, scope: Scope) -> list[list[float]] | None:
    """(south-west, north-east) of what the scope covers: its own area, or every county-level
    unit of its province or city (of the service, for a scope of everything)."""
    found = extent(conn, scope.area_prefix, current_generation(conn))
    if found is None:
        return None
    west, south, east, north = found
    return [[south, west], [north, east]]


@router.get("/command", summary="指挥中心地图")
@page
def command(conn: ConnDep, settings: SettingsDep, principal: Reader) -> HTMLResponse:
    frame = _frame(conn, principal.scope)
    return HTMLResponse(command_page(conn, settings, viewer(principal, conn), frame))


@router.get("/heat", summary="热力与热点分析")
@page
def heat(conn: ConnDep, settings: SettingsDep, principal: Reader) -> HTMLResponse:
    frame = _frame(conn, principal.scope)
    return HTMLResponse(heat_page(conn, settings, viewer(principal, conn), frame))


@router.get("/dashboard", summary="数据看板（指挥大屏）")
@page
def dashboard(conn: ConnDep, settings: SettingsDep, principal: Reader) -> HTMLResponse:
    frame = _frame(conn, principal.scope)
    rankings = principal.can(Permission.REVEAL)  # as /api/v1/rankings decides
    html = dashboard_page(conn, settings, viewer(principal, conn), frame, rankings=rankings)
    return HTMLResponse(html)


@router.get("/field", summary="我的网格（手机）")
@page
def field(
    conn: ConnDep,
    settings: SettingsDep,
    principal: Reader,
    member: Annotated[
        int | None, Query(description="Member id; default the signed-in account's own.")
    ] = None,
) -> HTMLResponse:
    member_id = member if member is not None else principal.member_id
    if member_id is None and principal.scope.department is not None:  # 部门报到 (the whistle)
        html = summons_page(settings, viewer(principal), principal.scope.department)
        return HTMLResponse(html)
    if member_id is None:
        message = "此账号不对应网格成员，请在地图首页输入成员编号。"
        return HTMLResponse(error_page(404, "找不到", message, viewer(principal)), 404)
    try:
        html = field_page(
            conn,
            settings,
            member_id,
            viewer(principal),
            scope=principal.scope,
            can_report=principal.can(Permission.REPORT),
            own=member_id == principal.member_id,
        )
    except NotFound:
        message = f"找不到成员 {member_id} 或其网格。"
        return HTMLResponse(error_page(404, "找不到", message, viewer(principal)), 404)
    return HTMLResponse(html)


@router.get("/plan", summary="网格调整（草案、检查、影响、发布）")
@page
def plan(
    conn: ConnDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    plan: Annotated[int | None, Query(description="Draft id; without it, start a draft.")] = None,
) -> HTMLResponse:
    if not principal.can(Permission.PLAN):
        message = f"{principal.role_label}账号没有网格调整的权限。"
        return HTMLResponse(error_page(403, "无权访问", message, viewer(principal)), 403)
    if plan is not None:
        try:
            get_plan(conn, plan, scope=principal.scope)
        except NotFound:
            message = f"找不到规划方案 {plan}。"
            return HTMLResponse(error_page(404, "找不到", message, viewer(principal)), 404)
    own = principal.scope.area_prefix
    return HTMLResponse(plan_page(settings, plan, viewer(principal), own))
