"""The 三二一 mediation ladder (WORKFLOW.md §5): a dispute's file and its steps, and the
ladder's figures. Each write is one domain call in one transaction (:mod:`cases.mediation`);
a family or neighbour dispute's file is a 404 to anyone but its mediators and the level
holding it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from pydantic import Field

from access.accounts import Permission
from api.auth import Principal, Reader, page, require
from api.deps import ConnDep, EngineDep, SettingsDep
from api.routers.maps import viewer
from api.schemas import Error, Strict
from cases.mediation import attempts, files, stats, views
from maps import mediation as maps_mediation

router = APIRouter(tags=["mediation"])

Mediator = Annotated[Principal, Depends(require(Permission.MEDIATE))]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Error},
    404: {"model": Error},
    409: {"model": Error},
    412: {"model": Error},
    422: {"model": Error},
}
Text = Annotated[str, Field(max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
AttachmentId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class IntakeIn(Strict):
    source: Literal["application", "own_initiative", "police", "court", "government"]
    summary: Text
    intake_on: date | None = None
    dispute_type: str | None = Field(None, max_length=8, description="A category code 01…")
    rights_notified: bool = False
    rights_notified_on: date | None = None
    risk: Literal["green", "yellow", "red"] = "green"


class PartyIn(Strict):
    side: Literal["applicant", "respondent", "third_party"]
    kind: Literal["person", "unit"] = "person"
    member_id: int | None = Field(None, ge=1, le=2**31 - 1)
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=20)
    id_number: str | None = Field(None, max_length=18)
    agent: str | None = Field(None, max_length=200)


class MediatorIn(Strict):
    name: Name
    role: str = Field("", max_length=100)
    committee: str = Field("", max_length=100)


class AttemptIn(Strict):
    level: Literal["village", "township", "banner"]
    rung: int | None = Field(None, ge=1, le=3)
    held_at: datetime
    mediators: list[MediatorIn] = Field(min_length=1, max_length=20)
    participants: list[Name] = Field(default_factory=list, max_length=20)
    record: str = Field(min_length=1, max_length=20000)
    outcome: Literal[
        "settled", "partly", "not_settled", "withdrawn", "to_court", "to_administration",
        "to_petitions",
    ]  # fmt: skip
    refused: bool = False
    risk: Literal["green", "yellow", "red"] | None = None
    lon: float | None = None
    lat: float | None = None
    datum: str | None = Field(None, max_length=16)
    attachments: list[AttachmentId] = Field(default_factory=list, max_length=20)


class AgreementIn(Strict):
    form: Literal["written", "oral"]
    terms: Text
    effective_on: date | None = None


class ConfirmationIn(Strict):
    confirmation: Literal["applied", "confirmed", "rejected", "not_sought"]
    confirmation_on: date | None = None


class FollowUpIn(Strict):
    called_on: date | None = None
    performed: Literal["yes", "partly", "no"]
    satisfaction: Literal["satisfied", "basically_satisfied", "dissatisfied"]
    remaining_risk: Literal["none", "low", "high"]
    note: str | None = Field(None, max_length=4000)


def _body(model: Strict) -> dict[str, Any]:
    return model.model_dump(exclude_none=True)


@router.get("/incidents/{code}/mediation", responses=ERRORS, summary="调解卷宗")
def get_file(code: str, conn: ConnDep, principal: Reader) -> dict[str, Any]:
    return views.view(conn, principal, code)


@router.post("/incidents/{code}/mediation", responses=ERRORS, summary="调解受理（立卷）")
def open_file(code: str, body: IntakeIn, engine: EngineDep, principal: Mediator) -> dict[str, Any]:
    with engine.begin() as conn:
        return files.open_file(conn, principal, code, _body(body))


@router.post("/incidents/{code}/mediation/parties", responses=ERRORS, summary="添加当事人")
def add_party(code: str, body: PartyIn, engine: EngineDep, principal: Mediator) -> dict[str, Any]:
    with engine.begin() as conn:
        return files.add_party(conn, principal, code, _body(body))


@router.post("/incidents/{code}/mediation/attempts", responses=ERRORS, summary="记录一次调解")
def add_attempt(
    code: str, body: AttemptIn, engine: EngineDep, principal: Mediator
) -> dict[str, Any]:
    with engine.begin() as conn:
        return attempts.record_attempt(conn, principal, code, _body(body))


@router.post("/incidents/{code}/mediation/agreement", responses=ERRORS, summary="调解协议")
def add_agreement(
    code: str, body: AgreementIn, engine: EngineDep, principal: Mediator
) -> dict[str, Any]:
    with engine.begin() as conn:
        return files.record_agreement(conn, principal, code, _body(body))


@router.post("/incidents/{code}/mediation/confirmation", responses=ERRORS, summary="司法确认")
def confirm(
    code: str, body: ConfirmationIn, engine: EngineDep, principal: Mediator
) -> dict[str, Any]:
    with engine.begin() as conn:
        return files.record_confirmation(conn, principal, code, _body(body))


@router.post("/incidents/{code}/mediation/follow-up", responses=ERRORS, summary="调解回访")
def follow_up(
    code: str, body: FollowUpIn, engine: EngineDep, principal: Mediator
) -> dict[str, Any]:
    with engine.begin() as conn:
        return files.record_follow_up(conn, principal, code, _body(body))


@router.get("/mediation/stats", responses=ERRORS, summary="调解成功率、就地化解率、重复纠纷")
def mediation_stats(
    conn: ConnDep,
    principal: Reader,
    period: Annotated[str | None, Query(max_length=7, description="2024 or 2024-03")] = None,
    area: Annotated[str | None, Query(max_length=32, description="An area code")] = None,
) -> dict[str, Any]:
    return stats.stats(conn, principal.scope, period, area)


#: The mediation page, under /maps like the other pages.
pages = APIRouter(prefix="/maps", tags=["maps"], default_response_class=HTMLResponse)


@pages.get("/mediation", summary="调解卷宗（手机）")
@page
def mediation_page(
    settings: SettingsDep,
    principal: Reader,
    case: Annotated[str, Query(min_length=1, max_length=32, description="The dispute's code")],
) -> HTMLResponse:
    can_mediate = principal.can(Permission.MEDIATE)
    return HTMLResponse(
        maps_mediation.mediation_page(settings, case, viewer(principal), can_mediate)
    )
