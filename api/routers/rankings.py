"""Quarterly rankings, their publication and appeals, townships' scores of departments and
the annual evaluation (issue #15, WORKFLOW.md §4). Each handler calls one function of
:mod:`cases.indicators`."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import Field

from access.accounts import Permission, Role
from api.auth import Principal, Reader, require
from api.deps import ConnDep, SettingsDep
from api.indicator_schemas import PublishRequest, Ranking
from api.schemas import Error, Strict
from api.xlsx import (
    APPEAL_COLUMNS,
    AS_XLSX,
    EVALUATION_COLUMNS,
    KIND_WORDS,
    RANKING_COLUMNS,
    SCORE_COLUMNS,
    appeal_row,
    workbook_response,
)
from cases.indicators import evaluation, rankings, scores
from cases.indicators.periods import last_quarter
from geo.errors import Forbidden
from geo.periods import china_today

router = APIRouter(tags=["rankings"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Error},
    404: {"model": Error},
    409: {"model": Error},
    422: {"model": Error},
}
Kind = Literal["township", "department", "village"]
Quarter = Annotated[
    str | None, Query(description="A quarter such as 2026-Q3; default the last one ended.")
]
Township = Annotated[str | None, Query(description="For a village ranking: the township's code.")]
TableFormat = Annotated[str, Query(pattern="^(json|xlsx)$", description="json or xlsx (Excel)")]
AS_TABLE: dict[int | str, dict[str, Any]] = {**ERRORS, 200: {"content": AS_XLSX}}


async def command_only(
    principal: Annotated[Principal, Depends(require(Permission.READ))],
) -> Principal:
    """The banner's command centre or an administrator (publish, decide, review)."""
    if principal.role not in (Role.COMMAND, Role.ADMIN):
        raise Forbidden("only the command centre or an administrator may do this")
    return principal


async def sees_cases(
    principal: Annotated[Principal, Depends(require(Permission.READ))],
) -> Principal:
    """A role with access to the cases: rankings show every unit's counts."""
    if not principal.can(Permission.REVEAL):
        raise Forbidden(f"the role {principal.role.value} may not read rankings")
    return principal


Commander = Annotated[Principal, Depends(command_only)]
CaseReader = Annotated[Principal, Depends(sees_cases)]


def _json(body: dict[str, Any] | bytes, status: int = 200) -> Response:
    content = body if isinstance(body, bytes) else rankings.frozen_bytes(body)
    return Response(content, status_code=status, media_type="application/json")


@router.get(
    "/rankings",
    response_model=Ranking,
    responses=AS_TABLE,
    summary="季度排名（每季晒一晒）",
)
def get_ranking(
    principal: CaseReader,
    conn: ConnDep,
    settings: SettingsDep,
    quarter: Quarter = None,
    kind: Annotated[Kind, Query()] = "township",
    township: Township = None,
    format: TableFormat = "json",
) -> Response:
    found = rankings.ranking(
        conn, quarter or last_quarter(), kind, township, min_sample=settings.indicator_min_sample
    )
    if format == "xlsx":
        body = json.loads(found) if isinstance(found, bytes) else found
        return workbook_response(body["rows"], RANKING_COLUMNS, f"{body['quarter']}排名")
    return _json(found)


@router.post(
    "/rankings/{quarter}/publish",
    status_code=201,
    response_model=Ranking,
    responses=ERRORS,
    summary="发布季度排名（冻结）",
)
def publish_ranking(
    quarter: str, body: PublishRequest, principal: Commander, conn: ConnDep, settings: SettingsDep
) -> Response:
    frozen = rankings.publish(
        conn,
        quarter,
        body.kind,
        body.township,
        principal.username,
        min_sample=settings.indicator_min_sample,
    )
    conn.commit()
    return _json(frozen, 201)


class AppealRequest(Strict):
    kind: Kind
    township: str | None = Field(default=None, max_length=9)
    code: str = Field(max_length=19)
    reason: str = Field(max_length=2000)


class Appeal(Strict):
    id: int
    quarter: str
    kind: Kind
    township: str | None
    code: str
    reason: str
    by: str
    at: str
    outcome: Literal["upheld", "rejected"] | None
    outcome_note: str | None
    decided_by: str | None
    decided_at: str | None


class Decision(Strict):
    outcome: Literal["upheld", "rejected"]
    note: str = Field(max_length=2000)


@router.post(
    "/rankings/{quarter}/appeals",
    status_code=201,
    response_model=Appeal,
    responses=ERRORS,
    summary="对已发布排名申诉",
)
def appeal_ranking(
    quarter: str, body: AppealRequest, principal: Reader, conn: ConnDep
) -> dict[str, Any]:
    answer = scores.appeal(
        conn,
        principal.role,
        principal.scope,
        principal.actor,
        quarter=quarter,
        kind=body.kind,
        township=body.township,
        code=body.code,
        reason=body.reason,
    )
    conn.commit()
    return answer


@router.get("/appeals", response_model=list[Appeal], responses=AS_TABLE, summary="申诉及结果")
def list_appeals(
    principal: CaseReader,
    conn: ConnDep,
    quarter: Annotated[str | None, Query()] = None,
    format: TableFormat = "json",
) -> Any:
    found = scores.appeals(conn, quarter)
    if format == "xlsx":
        rows = [appeal_row(a) for a in found]
        return workbook_response(rows, APPEAL_COLUMNS, f"排名申诉{quarter or ''}")
    return found


@router.post(
    "/appeals/{appeal_id}/decision", response_model=Appeal, responses=ERRORS, summary="申诉处理结果"
)
def decide_appeal(
    appeal_id: Annotated[int, Field(ge=1, le=2**62)],
    body: Decision,
    principal: Commander,
    conn: ConnDep,
) -> dict[str, Any]:
    answer = scores.decide(conn, principal.actor, appeal_id, body.outcome, body.note)
    conn.commit()
    return answer


class ScoreRequest(Strict):
    incident: str = Field(max_length=20, description="The case's code.")
    department: str = Field(max_length=16, description="The department's code.")
    score: float = Field(description="0–100.")
    reason: str = Field(max_length=2000)


class Score(Strict):
    id: int
    incident: str
    township_code: str
    department: str
    score: float
    reason: str
    by: str
    at: str


@router.post(
    "/scores", status_code=201, response_model=Score, responses=ERRORS, summary="苏木镇对部门赋分"
)
def score_case(body: ScoreRequest, principal: Reader, conn: ConnDep) -> dict[str, Any]:
    answer = scores.score_case(
        conn,
        principal.role,
        principal.scope,
        principal.actor,
        incident=body.incident,
        department=body.department,
        score=body.score,
        reason=body.reason,
    )
    conn.commit()
    return answer


@router.get("/scores", response_model=list[Score], responses=AS_TABLE, summary="赋分记录")
def list_scores(
    principal: CaseReader,
    conn: ConnDep,
    quarter: Quarter = None,
    township: Township = None,
    department: Annotated[str | None, Query(max_length=16)] = None,
    format: TableFormat = "json",
) -> Any:
    the_quarter = quarter or last_quarter()
    found = scores.scores(conn, the_quarter, township, department)
    if format == "xlsx":
        return workbook_response(found, SCORE_COLUMNS, f"{the_quarter}苏木镇对部门赋分")
    return found


@router.get("/evaluations", responses=AS_TABLE, summary="年终评一评")
def get_evaluation(
    principal: CaseReader,
    conn: ConnDep,
    settings: SettingsDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Default last year.")] = None,
    kind: Annotated[Kind, Query()] = "township",
    township: Township = None,
    format: TableFormat = "json",
) -> Any:
    the_year = year or china_today().year - 1
    found = evaluation.evaluation(
        conn, the_year, kind, township, min_sample=settings.indicator_min_sample
    )
    if format == "xlsx":
        title = f"{the_year}年{KIND_WORDS[kind]}年终评一评"
        return workbook_response(found["rows"], EVALUATION_COLUMNS, title)
    return found


class Review(Strict):
    year: int = Field(ge=2000, le=2100)
    kind: Kind
    code: str = Field(max_length=19)
    score: float


@router.put("/evaluations/reviews", response_model=Review, responses=ERRORS, summary="年终评议分")
def put_review(body: Review, principal: Commander, conn: ConnDep) -> dict[str, Any]:
    answer = evaluation.put_review(
        conn, principal.actor, body.year, body.kind, body.code, body.score
    )
    conn.commit()
    return answer
