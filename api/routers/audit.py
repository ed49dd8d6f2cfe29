"""Reading the audit trail: who changed or revealed what, when (administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from access import audit
from api.auth import AccountsAdmin
from api.deps import ConnDep
from api.schemas import Error
from geo.privacy import mask_strings

router = APIRouter(tags=["auth"])

MAX_PAGE = 500


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str | None
    before: Any = None
    after: Any = None
    reason: str | None = None
    client: str | None = None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_before: int | None = Field(description="Pass as before= for the next (older) page.")


@router.get(
    "/audit",
    response_model=AuditPage,
    responses={403: {"model": Error}, 422: {"model": Error}},
    summary="审计日志：谁在何时修改或查看了什么（管理员）",
)
def audit_log(
    admin: AccountsAdmin,
    conn: ConnDep,
    object_type: Annotated[str | None, Query(max_length=32, description="e.g. incident")] = None,
    object_id: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64, description="e.g. plan.publish")] = None,
    before: Annotated[int | None, Query(ge=1, description="Entries older than this id.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}.")] = 100,
) -> AuditPage:
    page = audit.entries(
        conn,
        object_type=object_type,
        object_id=object_id,
        actor=actor,
        action=action,
        before=before,
        limit=limit,
    )
    return AuditPage(
        items=[AuditEntry(**mask_strings(e)) for e in page.entries], next_before=page.next_before
    )
