"""Reading the audit trail: who changed or revealed what, when (administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import text

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
    rows = conn.execute(
        text(
            "SELECT id, at, actor, role, action, object_type, object_id, before, after, reason, "
            "client FROM audit_log "
            "WHERE (CAST(:type AS text) IS NULL OR object_type = :type) "
            "AND (CAST(:oid AS text) IS NULL OR object_id = :oid) "
            "AND (CAST(:actor AS text) IS NULL OR actor = :actor) "
            "AND (CAST(:action AS text) IS NULL OR action = :action) "
            "AND (CAST(:before AS bigint) IS NULL OR id < :before) "
            "ORDER BY id DESC LIMIT :limit"
        ),
        {
            "type": object_type,
            "oid": object_id,
            "actor": actor,
            "action": action,
            "before": before,
            "limit": limit + 1,
        },
    ).all()
    items = [AuditEntry(**mask_strings(dict(r._mapping))) for r in rows[:limit]]
    return AuditPage(items=items, next_before=items[-1].id if len(rows) > limit else None)
