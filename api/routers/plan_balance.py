"""The balanced-split suggestion of a draft plan (/api/v1/plans/{id}/…, #17).

``suggest-balance`` and ``suggest-split`` write nothing (they answer what to move);
``apply-split`` writes an accepted split in one audited transaction. All three need the plan
permission and find only plans inside the caller's area.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.auth import Planner
from api.balance_schemas import (
    Balance,
    BalanceIn,
    SplitApplied,
    SplitApplyIn,
    SplitSuggestIn,
    SplitSuggestion,
)
from api.deps import ConnDep, EngineDep
from api.etag import IfMatch, etag, expected_version
from api.routers.plans import audited_edit
from api.schemas import Error
from cases.redraw.balance import suggest_balance, suggest_split
from geo.plans.balance import apply_split
from geo.plans.drafts import get_plan

router = APIRouter(prefix="/plans", tags=["plans"])

_ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": Error}, 422: {"model": Error}}


@router.post("/{plan_id}/suggest-balance", response_model=Balance, responses=_ERRORS)
def balance(plan_id: int, body: BalanceIn, conn: ConnDep, principal: Planner) -> JSONResponse:
    """Micro-grids to move between bordering grids so that their loads are even, each grid
    staying one piece; only micro-grids on a boundary between them move, inside their
    village. Writes nothing: apply the moves you keep with `POST …/move`."""
    found = suggest_balance(conn, plan_id, body.grids, body.measure, scope=principal.scope)
    return JSONResponse(found)


@router.post("/{plan_id}/suggest-split", response_model=SplitSuggestion, responses=_ERRORS)
def split(plan_id: int, body: SplitSuggestIn, conn: ConnDep, principal: Planner) -> JSONResponse:
    """A grid cut into 2–6 connected, compact parts of even load. Writes nothing: apply it
    with `POST …/apply-split`."""
    scope = principal.scope
    return JSONResponse(
        suggest_split(conn, plan_id, body.grid, body.parts, body.measure, scope=scope)
    )


@router.post(
    "/{plan_id}/apply-split",
    status_code=201,
    response_model=SplitApplied,
    responses={**_ERRORS, 409: {"model": Error}, 412: {"model": Error}},
)
def apply(
    plan_id: int,
    body: SplitApplyIn,
    engine: EngineDep,
    principal: Planner,
    if_match: IfMatch = None,
) -> Response:
    """Split a grid into the parts given: the first stays in the grid, each further one
    becomes a new grid of its village (outline: the union of its micro-grids)."""
    version = expected_version(if_match, body.version)
    scope = principal.scope
    with audited_edit(engine, principal, plan_id, "plan.split.apply") as conn:
        grids = apply_split(conn, plan_id, body.grid, body.parts, scope=scope, version=version)
        plan_version = get_plan(conn, plan_id, scope=scope).version
    return JSONResponse({"grids": grids}, status_code=201, headers=etag(plan_version))
