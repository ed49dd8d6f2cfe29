"""Routines and coverage (issue #16): visits and calls, meetings and the council's agenda,
the member's "my area" and coverage per area. Each handler calls one function of
:mod:`cases.routines`; writes run in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from pydantic import Field

from api.auth import Reader, Reporter
from api.deps import ConnDep, EngineDep, GenerationDep, IntakeGateDep, SettingsDep
from api.schemas import Error, Strict
from cases import report
from cases.routines import cadence, coverage, meetings, visit_case, visits

router = APIRouter(tags=["routines"])

Code = Annotated[str, Field(min_length=1, max_length=32)]
Text = Annotated[str, Field(max_length=2000)]
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Error},
    404: {"model": Error},
    422: {"model": Error},
}
Limit = Annotated[int, Query(ge=1, le=visits.MAX_LIMIT)]


class CaseIn(Strict):
    """A case opened from the visit (需要立案), filed through the ordinary report intake."""

    category: str = Field(
        pattern="^[0-9]{4}$", description="Four-digit minor category code, e.g. 0101 邻里纠纷."
    )
    description: str = Field(
        min_length=1, max_length=report.MAX_DESCRIPTION, description="What was found."
    )
    urgent: bool = False


class VisitIn(Strict):
    households: list[Code] = Field(min_length=1, max_length=20, description="Household codes.")
    channel: Literal["visit", "phone", "wechat", "chance"] = Field(
        description="入户 visit, 电话 phone, 微信 wechat, 偶遇 chance."
    )
    needs: Text | None = Field(None, description="Needs raised (群众诉求).")
    at: datetime | None = Field(None, description="When, with its offset; default now.")
    incident_codes: list[Code] = Field(default=[], max_length=10, description="Cases opened.")
    lon: float | None = None
    lat: float | None = None
    datum: str | None = Field(None, max_length=16, description="cgcs2000, wgs84, gcj02, bd09.")
    case: CaseIn | None = Field(
        None,
        description="Open a case from the visit: visit and case are written together or not at "
        "all; needs an Idempotency-Key header, as a report does.",
    )


class OpenedCase(Strict):
    code: str
    status: str
    replayed: bool = Field(description="A retry: the case and the visit were written before.")


class MemberRef(Strict):
    id: int
    kind: str
    name: str | None


class VisitOut(Strict):
    id: int
    at: str
    channel: str
    channel_label: str
    needs: str | None
    incident_codes: list[str]
    households: list[str]
    micro_grid: str
    member: MemberRef | None
    lon: float | None
    lat: float | None
    case: OpenedCase | None = None


class MeetingIn(Strict):
    kind: Literal["grid_meeting", "village_council"]
    area_code: Code = Field(description="The grid (meeting) or village (council).")
    at: datetime
    attendees: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=200)
    issues: Text | None = None
    decisions: Text | None = None
    incident_codes: list[Code] = Field(default=[], max_length=50)
    agenda: list[dict[str, Any]] | None = Field(
        None, max_length=200, description="Default for a council: the month's agenda."
    )


class AreaRef(Strict):
    code: str
    name: str


class MeetingOut(Strict):
    id: int
    kind: str
    kind_label: str
    at: str
    area: AreaRef
    attendees: list[str | None]
    issues: str | None
    decisions: str | None
    incident_codes: list[str]
    agenda: list[dict[str, Any]]


class Agenda(Strict):
    village: str
    month: str
    items: list[dict[str, Any]]
    counts: dict[str, int]


class AreaCoverage(Strict):
    code: str
    name: str
    level: str
    households: int
    claimed: int
    claimed_share: float | None = Field(description="认领率")
    visited: int
    visited_share: float | None = Field(description="走访覆盖率")
    overdue: int
    last_contact: str | None
    members: int
    micro_grids: int
    uncovered: int = Field(description="Micro-grids with no member or no contact in 14 days.")


class Coverage(Strict):
    level: str
    within: str | None
    at: str
    areas: list[AreaCoverage]


@router.post(
    "/visits",
    response_model=VisitOut,
    status_code=201,
    responses={**WRITE_ERRORS, 400: {"model": Error}, 409: {"model": Error}, 429: {"model": Error}},
    summary="记录走访或联系（入户、电话、微信、偶遇），可当场立案（同一事务）",
)
def record_visit(
    body: VisitIn,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Reporter,
    admit: IntakeGateDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    visit = visits.Visit(**body.model_dump(exclude={"case"}))
    if body.case is None:
        with engine.begin() as conn:
            return visits.record(conn, principal, visit)
    return visit_case.record_with_case(
        engine, principal, visit, visit_case.Case(**body.case.model_dump()),
        idempotency_key=idempotency_key, nearest_limit_m=settings.nearest_limit_m, admit=admit,
    )  # fmt: skip


@router.get("/visits", response_model=list[VisitOut], summary="走访记录（最新在前）")
def list_visits(
    conn: ConnDep,
    principal: Reader,
    micro_grid: Annotated[str | None, Query(max_length=32)] = None,
    household: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    return visits.contacts(
        conn, principal.scope, micro_grid=micro_grid, household=household, limit=limit
    )


@router.post(
    "/meetings",
    response_model=MeetingOut,
    status_code=201,
    responses=WRITE_ERRORS,
    summary="记录网格碰头会（半月碰一碰）或民情议事会（月底议一议）",
)
def record_meeting(
    body: MeetingIn, engine: EngineDep, principal: Reporter, generation: GenerationDep
) -> dict[str, Any]:
    meeting = meetings.MeetingIn(**body.model_dump())
    with engine.begin() as conn:
        return meetings.record(conn, principal, meeting, generation)


@router.get("/meetings", response_model=list[MeetingOut], summary="会议记录（最新在前）")
def list_meetings(
    conn: ConnDep,
    principal: Reader,
    kind: Annotated[Literal["grid_meeting", "village_council"] | None, Query()] = None,
    area: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    return meetings.meetings(conn, principal.scope, kind=kind, area=area, limit=limit)


@router.get(
    "/meetings/agenda",
    response_model=Agenda,
    responses={422: {"model": Error}},
    summary="民情议事会议程：本月本村上报事项及办理结果",
)
def meeting_agenda(
    conn: ConnDep,
    principal: Reader,
    village: Annotated[str, Query(max_length=32)],
    month: Annotated[str, Query(max_length=7, description="YYYY-MM, China time")],
) -> dict[str, Any]:
    return meetings.agenda(conn, principal.scope, village, month)


@router.get(
    "/my-area/households",
    responses={403: {"model": Error}},
    summary="我的片区：各微网格住户、标签、责任人、最近联系（逾期在前）",
)
def my_area(conn: ConnDep, principal: Reader, generation: GenerationDep) -> dict[str, Any]:
    return cadence.my_area(conn, principal, generation, p3=cadence.sees_p3(principal.role))


@router.get(
    "/coverage",
    response_model=Coverage,
    responses={422: {"model": Error}},
    summary="覆盖情况：住户、认领率、走访覆盖率、最近联系、逾期、未覆盖微网格",
)
def area_coverage(
    conn: ConnDep,
    principal: Reader,
    generation: GenerationDep,
    level: Annotated[str, Query(max_length=16)] = "micro_grid",
    within: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    return coverage.coverage(conn, principal.scope, generation, level=level, within=within)
