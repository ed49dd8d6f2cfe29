"""在线报到 and the report-in share of each unit (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection

from access.accounts import Role
from access.audit import Actor
from cases.party.errors import PartyConflict
from cases.party.sql import query
from geo.areas import current_generation
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.privacy import mask_name, mask_text
from geo.scope import Scope

#: A unit below this share of its members reported in is flagged.
REPORT_IN_THRESHOLD = 0.95
MAX_SKILLS = 10
MAX_SKILL = 20
MAX_AVAILABILITY = 200


class Caller(Protocol):
    """Who acts (``api.auth.Principal`` is one)."""

    @property
    def role(self) -> Role: ...
    @property
    def scope(self) -> Scope: ...
    @property
    def member_id(self) -> int | None: ...
    @property
    def actor(self) -> Actor: ...


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    home_code: str
    registration_id: int | None
    micro_grid_code: str | None


def member_of(conn: Connection, caller: Caller) -> Member:
    """The party member behind the caller's account; 403 for any other account."""
    row = None
    if caller.role is Role.PARTY_MEMBER and caller.member_id is not None:
        row = conn.execute(query("member_of"), {"member_id": caller.member_id}).one_or_none()
    if row is None:
        raise Forbidden("only a party member's own account may do this")
    return Member(row.id, row.name, row.home_code, row.registration_id, row.micro_grid_code)


def area(conn: Connection, code: str, level: str, field: str) -> Any:
    """The live area ``code`` at ``level``, or 404 naming ``field``."""
    found = conn.execute(
        query("area_find"), {"code": code, "level": level, "g": current_generation(conn)}
    ).one_or_none()
    if found is None:
        raise NotFound(f"{field}: no current {level} {code!r}")
    return found


def _skills(skills: list[str]) -> list[str]:
    if len(skills) > MAX_SKILLS:
        raise InvalidInput("skills", f"at most {MAX_SKILLS}, got {len(skills)}")
    cleaned = [s.strip() for s in skills]
    for i, skill in enumerate(cleaned):
        if not skill or len(skill) > MAX_SKILL or not skill.isprintable():
            raise InvalidInput(f"skills[{i}]", f"1–{MAX_SKILL} printable characters")
    return list(dict.fromkeys(cleaned))


def register(
    conn: Connection,
    caller: Caller,
    *,
    micro_grid: str | None,
    skills: list[str],
    availability: str,
) -> dict[str, Any]:
    """Report the caller in at ``micro_grid`` (default: the one their account serves), which
    must lie inside their scope (422 naming it otherwise); a second time is 409."""
    member = member_of(conn, caller)
    code = micro_grid or member.home_code
    if not caller.scope.covers(code):
        raise InvalidInput("micro_grid", f"{code} is not the micro-grid you live in")
    if len(availability) > MAX_AVAILABILITY or not availability.isprintable():
        raise InvalidInput("availability", f"at most {MAX_AVAILABILITY} printable characters")
    cell = area(conn, code, "micro_grid", "micro_grid")
    params = {
        "member_id": member.id,
        "micro_grid_id": cell.id,
        "skills": _skills(skills),
        "availability": availability.strip(),
    }
    new_id = conn.execute(query("registration_insert"), params).scalar_one_or_none()
    if new_id is None:
        raise PartyConflict("you have reported in already", state="registered")
    return registrations(conn, caller.scope, registration=new_id)[0]


def _registration(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "member": {"id": row.member_id, "name": mask_name(row.name)},
        "micro_grid": {"code": row.micro_grid_code, "name": row.micro_grid_name},
        "skills": [mask_text(s) for s in row.skills],
        "availability": mask_text(row.availability),
        "registered_at": row.registered_at.isoformat(),
    }


def registrations(
    conn: Connection,
    scope: Scope,
    *,
    within: str | None = None,
    limit: int = 100,
    offset: int = 0,
    registration: int | None = None,
) -> list[dict[str, Any]]:
    """Registrations at micro-grids inside ``scope`` (and under ``within``), newest first;
    ``registration``: that one only."""
    params = {"within": within, "limit": limit, "offset": offset, "id": registration}
    rows = conn.execute(query("registrations"), {**scope.params(), **params}).all()
    return [_registration(r) for r in rows]


def units(conn: Connection, scope: Scope, *, within: str | None = None) -> list[dict[str, Any]]:
    """Each unit the caller may see: party members, those reported in, the share, the flag."""
    rows = conn.execute(
        query("units"), {**scope.params(), "within": within, "g": current_generation(conn)}
    ).all()
    out = []
    for r in rows:
        share = r.registered / r.members if r.members else None
        flagged = share is not None and share < REPORT_IN_THRESHOLD
        out.append(
            {
                "code": r.code,
                "name": r.name,
                "members": r.members,
                "registered": r.registered,
                "share": share,
                "flagged": flagged,
            }
        )
    return out
