"""Time limits, escalation skip rules and the working-day calendar: anyone signed in reads
them; administrators (the routing editors: limits are the routing matrix's other half) change
them, every change audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field

from api.auth import Reader, RoutingEditor
from api.deps import ConnDep, EngineDep
from api.schemas import Error, Strict
from cases.loop import calendar, escalation, limits

router = APIRouter(tags=["time limits"])

Unit = Literal["minutes", "work_hours", "work_days"]
Days = Decimal | None


class TimeLimit(Strict):
    category_code: str = Field(description="A category code, or '*' for any category.")
    urgent: bool
    step: str
    amount: Decimal
    unit: Unit
    yellow_after: Days = Field(description="Yellow card this many working days past due.")
    red_after: Days = Field(description="Red card this many working days past due.")


class TimeLimitChange(Strict):
    urgent: bool
    amount: Decimal = Field(gt=0)
    unit: Unit
    yellow_after: Days = Field(default=None, gt=0)
    red_after: Days = Field(default=None, gt=0)


SkipLevel = Literal["grid", "village", "township", "banner"]
Urgency = Literal["urgent", "normal"]


class EscalationRule(Strict):
    category_code: str = Field(description="A category code, or '*' for any category.")
    urgent: bool
    target_level: SkipLevel = Field(description="Cases escalate straight up to this level.")
    copy_to: list[str] = Field(description="Department codes copied (抄告) on such a skip.")


class EscalationRuleChange(Strict):
    target_level: SkipLevel
    copy_to: list[Annotated[str, Field(max_length=16)]] = Field(default=[], max_length=20)


class DayOverride(Strict):
    day: date
    working: bool = Field(description="false: a holiday; true: a (make-up) working day.")
    note: str | None = Field(default=None, max_length=200)


class CalendarDay(Strict):
    day: date
    working: bool
    source: Literal["package", "data"]


class CalendarYear(Strict):
    year: int
    source: Literal["package", "data", "weekdays"] = Field(
        description="package: the official schedule (chinese-calendar) with the overrides on "
        "top; data: the overrides alone; weekdays: none known, Monday–Friday worked."
    )
    note: str
    overrides: list[DayOverride]
    days: list[CalendarDay] = Field(description="Every day worked otherwise than Mon–Fri.")


class CalendarChange(Strict):
    overrides: list[DayOverride] = Field(max_length=366)


ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {403: {"model": Error}, 422: {"model": Error}}


@router.get(
    "/time-limits", response_model=list[TimeLimit], summary="办理时限（类别 × 紧急 × 环节）"
)
def time_limits(conn: ConnDep, _: Reader) -> list[dict[str, Any]]:
    return limits.time_limits(conn)


@router.put(
    "/time-limits/{category}/{step}",
    response_model=TimeLimit,
    responses=ADMIN_ERRORS,
    summary="设置办理时限与黄牌、红牌期限（管理员）",
)
def set_time_limit(
    category: str, step: str, change: TimeLimitChange, engine: EngineDep, admin: RoutingEditor
) -> dict[str, Any]:
    limit = limits.Limit(change.amount, change.unit, change.yellow_after, change.red_after)
    with engine.begin() as conn:
        return limits.set_limit(conn, category, step, change.urgent, limit, actor=admin.actor)


@router.get(
    "/escalation-rules",
    response_model=list[EscalationRule],
    summary="越级上报规则（类别 × 紧急 → 目标层级，抄告单位）",
)
def escalation_rules(conn: ConnDep, _: Reader) -> list[dict[str, Any]]:
    return escalation.rules(conn)


@router.put(
    "/escalation-rules/{category}/{urgency}",
    response_model=EscalationRule,
    responses=ADMIN_ERRORS,
    summary="设置越级上报规则（管理员）",
)
def set_escalation_rule(
    category: str,
    urgency: Urgency,
    change: EscalationRuleChange,
    engine: EngineDep,
    admin: RoutingEditor,
) -> dict[str, Any]:
    rule = escalation.Rule(
        category, urgency == "urgent", change.target_level, tuple(change.copy_to)
    )
    with engine.begin() as conn:
        return escalation.set_rule(conn, rule, actor=admin.actor)


@router.delete(
    "/escalation-rules/{category}/{urgency}",
    status_code=204,
    responses={**ADMIN_ERRORS, 404: {"model": Error}},
    summary="删除越级上报规则（管理员）",
)
def delete_escalation_rule(
    category: str, urgency: Urgency, engine: EngineDep, admin: RoutingEditor
) -> None:
    with engine.begin() as conn:
        escalation.delete_rule(conn, category, urgency == "urgent", actor=admin.actor)


@router.get("/calendar/{year}", response_model=CalendarYear, summary="工作日历：节假日与调休")
def calendar_year(year: int, conn: ConnDep, _: Reader) -> dict[str, Any]:
    return calendar.year_view(conn, year)


@router.put(
    "/calendar/{year}",
    response_model=CalendarYear,
    responses=ADMIN_ERRORS,
    summary="设置一年的节假日与调休（管理员）",
)
def set_calendar_year(
    year: int, change: CalendarChange, engine: EngineDep, admin: RoutingEditor
) -> dict[str, Any]:
    overrides = [o.model_dump() for o in change.overrides]
    with engine.begin() as conn:
        return calendar.set_year(conn, year, overrides, actor=admin.actor)
