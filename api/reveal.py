"""Revealing personal data: a permission, a reason, a rate limit and an audit entry each time.

Routers that hold personal data add ``POST …/reveal`` endpoints on top of :func:`reveal`:
they find the object inside the caller's scope (404 otherwise), then :func:`reveal` counts
the reveal against the rate, audits it and hands over the clear values. The audit entry
names the fields revealed and the reason, never the values.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from fastapi import Request
from limits import parse
from pydantic import Field, field_validator
from sqlalchemy import Connection

from access import audit
from api.auth import Principal
from api.schemas import Strict
from geo.errors import RateLimited
from geo.settings import Settings

#: Visible characters a reason needs: blanks, zero-width and control characters do not count.
MIN_REASON = 4


def visible(text: str) -> str:
    """``text`` without separators (Unicode Z*), format (Cf) and control (Cc) characters.

    >>> visible("\u200b 回访\u3000核实\t"), visible("\u200b\u200b\u200b\u200b")
    ('回访核实', '')
    """
    return "".join(c for c in text if not unicodedata.category(c).startswith(("Z", "Cf", "Cc")))


class RevealIn(Strict):
    reason: str = Field(
        min_length=MIN_REASON,
        max_length=500,
        description=f"Why the full value is needed (audited): at least {MIN_REASON} visible "
        "characters.",
    )

    @field_validator("reason")
    @classmethod
    def _visible(cls, value: str) -> str:
        if len(visible(value)) < MIN_REASON:
            raise ValueError(
                f"needs at least {MIN_REASON} visible characters (blanks and invisible "
                "characters do not count)"
            )
        return value


#: The audit action of a reveal, also what the allowance counts.
ACTION = "personal_data.reveal"


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
    found inside the caller's scope: a 404 costs nothing.

    The allowance is counted from the audit log itself, so a restart or several workers do
    not reset it."""
    settings: Settings = request.app.state.settings
    _within_allowance(conn, principal, settings.reveal_rate)
    audit.record(
        conn,
        principal.actor,
        ACTION,
        object_type,
        object_id,
        after={"fields": sorted(fields)},
        reason=reason.strip(),
    )
    return RevealOut(object_type=object_type, object_id=str(object_id), fields=fields)


def _within_allowance(conn: Connection, principal: Principal, rate: str) -> None:
    item = parse(rate)
    window = item.get_expiry()
    done, frees_in = audit.recent(conn, principal.actor.username, ACTION, window)
    if done >= item.amount:
        retry = max(1, math.ceil(frees_in))
        raise RateLimited(
            f"too many reveal requests: at most {rate}; try again in {retry} s", retry_after=retry
        )
