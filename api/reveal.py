"""Revealing personal data: a permission, a reason, a rate limit and an audit entry each time.

Routers that hold personal data add ``POST …/reveal`` endpoints on top of :func:`reveal`:
they find the object inside the caller's scope (404 otherwise), then :func:`reveal` counts
the reveal against the rate, audits it and hands over the clear values. The audit entry
names the fields revealed and the reason, never the values.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import Field
from sqlalchemy import Connection

from access import audit
from api.auth import Principal
from api.ratelimit import Limiter
from api.schemas import Strict
from geo.settings import Settings


class RevealIn(Strict):
    reason: str = Field(
        min_length=4, max_length=500, description="Why the full value is needed (audited)."
    )


class RevealOut(Strict):
    object_type: str
    object_id: str
    fields: dict[str, str | None] = Field(description="The clear values asked for.")
    audited: bool = True


def reveal(
    request: Request,
    conn: Connection,
    principal: Principal,
    object_type: str,
    object_id: str | int,
    fields: dict[str, Any],
    reason: str,
) -> RevealOut:
    """Count the reveal against the caller's allowance (429 with Retry-After past it), record
    it in the caller's transaction and return the clear values. Call it once the object was
    found inside the caller's scope: a 404 costs nothing."""
    settings: Settings = request.app.state.settings
    limiter: Limiter = request.app.state.limiter
    limiter.hit(settings.reveal_rate, "reveal", str(principal.account_id))
    audit.record(
        conn,
        principal.actor,
        "personal_data.reveal",
        object_type,
        object_id,
        after={"fields": sorted(fields)},
        reason=reason.strip(),
    )
    return RevealOut(object_type=object_type, object_id=str(object_id), fields=fields)
