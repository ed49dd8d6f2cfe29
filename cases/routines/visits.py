"""Contacts: a member visits or calls households of their own area (``POST /visits``).

Who: the member linked to the signed-in account (an account without one records no visit:
:class:`~geo.errors.Forbidden`). Which households: only those whose micro-grid lies inside
the member's area (a grid worker's grid, a party member's micro-grid) and the caller's scope;
any other is :class:`~geo.errors.NotFound`, as one that does not exist. When: at most
:data:`CLOCK_SKEW` ahead of the server's clock (a visit in the future is refused, field
``at``), with its time zone. Where: the phone's position, optional, in a declared datum and
converted to CGCS2000 like every point. Cases opened from the visit (through the ordinary
report intake) are linked by code and must exist inside the caller's scope.

The contact and its households are one statement in the caller's transaction: nothing is
half-written. Answers mask the member's name; households are served by code only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from cases.routines.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.points import parse_point
from geo.privacy import mask_name, mask_text
from geo.scope import Scope

#: How far ahead of the server's clock a phone's time may be.
CLOCK_SKEW = timedelta(minutes=5)
#: The channels and their Chinese names (入户 / 电话 / 微信 / 偶遇).
CHANNELS = {"visit": "入户", "phone": "电话", "wechat": "微信", "chance": "偶遇"}
MAX_LIMIT = 500


class Member(Protocol):
    """Who records (``api.auth.Principal`` is one)."""

    @property
    def username(self) -> str: ...
    @property
    def member_id(self) -> int | None: ...
    @property
    def scope(self) -> Scope: ...


@dataclass(frozen=True)
class Visit:
    """What the phone sends; validated by :func:`record`."""

    households: list[str]
    channel: str
    needs: str | None = None
    at: datetime | None = None
    incident_codes: list[str] = field(default_factory=list)
    lon: float | None = None
    lat: float | None = None
    datum: str | None = None


@dataclass(frozen=True)
class Checked:
    """A visit that passed every check of :func:`check`, ready to write."""

    visit: Visit
    at: datetime
    member_id: int
    households: list[dict[str, Any]]  # id, micro_grid_id, lon, lat (the house's point)
    lon: float | None
    lat: float | None


def check(conn: Connection, who: Member, visit: Visit, now: datetime | None = None) -> Checked:
    """Every check of :func:`record`, writing nothing."""
    at = _check_time(visit.at, now or datetime.now(UTC))
    if visit.channel not in CHANNELS:
        raise InvalidInput(
            "channel", f"expected one of {', '.join(CHANNELS)}, got {visit.channel!r}"
        )
    if who.member_id is None:
        raise Forbidden("only the account of a member (grid worker, party member) records visits")
    area = conn.execute(query("member_area"), {"id": who.member_id}).scalar_one_or_none()
    if area is None:
        raise Forbidden(f"member {who.member_id} of this account does not exist")
    households = _households(conn, visit.households, area, who.scope)
    _check_incidents(conn, visit.incident_codes, who.scope)
    lon = lat = None
    if (visit.lon, visit.lat, visit.datum) != (None, None, None):
        point = parse_point(visit.lon, visit.lat, visit.datum)
        lon, lat = point.lon, point.lat
    return Checked(visit, at, who.member_id, households, lon, lat)


def write(conn: Connection, who: Member, checked: Checked, opened: str | None = None) -> int:
    """Write a checked visit (with the code of the case ``opened`` from it, if any); its id."""
    codes = [*checked.visit.incident_codes, *([opened] if opened else [])]
    return int(
        conn.execute(
            query("contact_insert"),
            {
                "member_id": checked.member_id,
                "account": who.username,
                "at": checked.at,
                "channel": checked.visit.channel,
                "needs": checked.visit.needs,
                "incident_codes": json.dumps(codes),
                "lon": checked.lon,
                "lat": checked.lat,
                "micro_grid_id": checked.households[0]["micro_grid_id"],
                "household_ids": [h["id"] for h in checked.households],
            },
        ).scalar_one()
    )


def record(
    conn: Connection, who: Member, visit: Visit, now: datetime | None = None
) -> dict[str, Any]:
    """Write ``visit`` for the member of ``who``; the contact as :func:`contacts` answers it."""
    contact_id = write(conn, who, check(conn, who, visit, now))
    return contacts(conn, who.scope, contact_id=contact_id)[0]


def contacts(
    conn: Connection,
    scope: Scope,
    *,
    micro_grid: str | None = None,
    household: str | None = None,
    contact_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Contacts inside ``scope``, newest first (member names masked)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    rows = conn.execute(
        query("contacts"),
        {
            "id": contact_id,
            "micro_grid": micro_grid,
            "household": household,
            "limit": limit,
            **scope.params(),
        },
    )
    return [_view(r) for r in rows]


def _view(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at.isoformat(),
        "channel": r.channel,
        "channel_label": CHANNELS[r.channel],
        "needs": mask_text(r.needs),
        "incident_codes": r.incident_codes,
        "households": r.households or [],
        "micro_grid": r.micro_grid,
        "member": None
        if r.member_id is None
        else {"id": r.member_id, "kind": r.member_kind, "name": mask_name(r.member_name)},
        "lon": r.lon,
        "lat": r.lat,
    }


def _check_time(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        raise InvalidInput("at", "must carry a time zone offset, e.g. 2026-12-04T09:30:00+08:00")
    if at > now + CLOCK_SKEW:
        raise InvalidInput("at", f"{at.isoformat()} is in the future; a visit is recorded after it")
    return at


def _households(
    conn: Connection, codes: list[str], area: str, scope: Scope
) -> list[dict[str, Any]]:
    if not codes:
        raise InvalidInput("households", "name at least one household code")
    if len(set(codes)) != len(codes):
        raise InvalidInput("households", "a household is named twice")
    rows = conn.execute(
        query("household_lookup"), {"codes": codes, "member_area": area, **scope.params()}
    ).all()
    found = {r.code: r for r in rows}
    for code in codes:
        if code not in found:
            raise NotFound(f"household {code} does not exist in your area")
    return [
        {"id": found[c].id, "micro_grid_id": found[c].micro_grid_id, "lon": found[c].lon,
         "lat": found[c].lat}
        for c in codes
    ]  # fmt: skip


def _check_incidents(conn: Connection, codes: list[str], scope: Scope) -> None:
    if not codes:
        return
    known = set(
        conn.execute(query("incidents_known"), {"codes": codes, **scope.params()}).scalars()
    )
    for index, code in enumerate(codes):
        if code not in known:
            raise InvalidInput(f"incident_codes.{index}", f"no incident {code} in your scope")
