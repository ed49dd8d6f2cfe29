"""Actions on a case (the closed loop, WORKFLOW.md §1): ``POST /incidents/{code}/actions``.

One request is one action in one transaction (:func:`cases.loop.actions.apply_now`, in the
event loop, on a connection of the pool ``GET /locate`` reads with), based on the version the
caller read: ``If-Match: "<version>"`` is required (428 without it, 412 with a stale one, the
current version in the body).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from api.auth import Reader
from api.deps import ReadPoolDep
from api.etag import IfMatch, etag, expected_version
from api.schemas import Error, Incident, Strict
from cases.errors import VersionMissing
from cases.loop import actions
from cases.mediation.privacy import redacted
from geo import db
from geo.geojson import dumps

router = APIRouter(tags=["incidents"])


AttachmentId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ActionIn(Strict):
    action: str = Field(max_length=32, description="accept, void, file, dispatch, sign …")
    reason: str | None = Field(None, max_length=2000)
    department_code: str | None = Field(None, max_length=16, description="e.g. D14")
    attachments: list[AttachmentId] | None = Field(
        None, max_length=20, description="Ids of photos you uploaded for this case."
    )
    lon: float | None = None
    lat: float | None = None
    datum: str | None = Field(None, max_length=16)
    evaluation: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = None
    delay_days: int | None = Field(None, description="Working days, 1 to 10.")
    approve: bool | None = None
    card: Literal["yellow", "red"] | None = None
    level: str | None = Field(
        None, max_length=16, description="escalate: the level to go up to (default: one up)."
    )
    skip_reason: str | None = Field(
        None,
        max_length=16,
        description="escalate a dispute past the next level: red_risk or unit_party.",
    )


@router.post(
    "/incidents/{code}/actions",
    response_model=Incident,
    responses={
        403: {"model": Error},
        404: {"model": Error},
        409: {
            "model": Error,
            "description": "Not allowed in the case's state; the body adds `status` (the state) "
            "and `allowed` (the actions the caller may take in it).",
        },
        412: {"model": Error, "description": "Stale If-Match; the body adds `version` (current)."},
        422: {"model": Error},
        428: {"model": Error},
    },
    summary="办理事件：受理、立案、派遣、签收、处置、核查、结案、评价等（需 If-Match）",
)
async def act(
    code: str,
    body: ActionIn,
    request: Request,
    pool: ReadPoolDep,
    principal: Reader,
    if_match: IfMatch = None,
) -> Response:
    version = expected_version(if_match, None)
    if version is None:
        raise VersionMissing("If-Match", 'send the version you read, e.g. "3"', where="header")
    fields = body.model_dump(exclude_none=True, exclude={"action"})
    database: str = request.app.state.database_key  # the calendar's key
    slots: asyncio.Semaphore | None = getattr(request.app.state, "action_slots", None)
    if slots is None:
        slots = request.app.state.action_slots = asyncio.Semaphore(db.ACTION_SLOTS)
    async with slots, pool.connection() as conn:
        incident = await actions.apply_now(
            conn, principal, code, body.action, fields, version, database
        )
    incident = redacted(incident, principal)  # a family dispute's detail: WORKFLOW.md §5.7
    return Response(
        dumps(incident), media_type="application/json", headers=etag(incident["version"])
    )
