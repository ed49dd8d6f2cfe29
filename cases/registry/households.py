"""Reading households with their persons and claiming them (认领).

A reader sees the households whose house lies inside their scope; persons come masked
(:func:`cases.registry.marks.person_view`), tags cut to the reader's role, and an answer that
carries a P3 tag is audited (:data:`cases.registry.marks.P3_READ`) in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from access import audit
from access.accounts import Role
from access.audit import Actor
from cases.registry.marks import P3_READ, house_view, person_view, sees_p3
from cases.registry.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.scope import Scope

MAX_PAGE = 500


class Reader:
    """Who reads: role (for P3), scope and the actor audited."""

    def __init__(self, role: Role, scope: Scope, actor: Actor) -> None:
        self.role, self.scope, self.actor = role, scope, actor


def _tags(raw: list[list[str]], role: Role, labels: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"tag": tag, "label": labels.get(tag, tag), "mark": mark}
        for tag, mark in raw
        if mark != "P3" or sees_p3(role)
    ]


def tag_kinds(conn: Connection) -> dict[str, tuple[str, str]]:
    """tag → (label, mark)."""
    return {r.tag: (r.label, r.mark) for r in conn.execute(query("tag_kinds"))}


def persons_of(
    conn: Connection, ids: list[int], reader: Reader
) -> tuple[dict[int, list[Any]], bool]:
    """Persons by household id as readers get them, and whether a P3 tag was among them."""
    kinds = tag_kinds(conn)
    labels = {tag: label for tag, (label, _) in kinds.items()}
    out: dict[int, list[Any]] = defaultdict(list)
    p3 = False
    for row in conn.execute(query("household_persons"), {"ids": ids}):
        tags = _tags(row.tags, reader.role, labels)
        p3 = p3 or any(t["mark"] == "P3" for t in tags)
        out[row.household_id].append(person_view(row, tags))
    return out, p3


def list_households(
    conn: Connection,
    reader: Reader,
    *,
    code: str | None = None,
    micro_grid: str | None = None,
    grid: str | None = None,
    tag: str | None = None,
    overdue: bool = False,
    after: str | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A page of households (see the module doc); ``next`` is the ``after`` of the next page.
    With ``overdue`` only the households overdue for a visit at ``now`` (default: now), by
    the rule the coverage figures count (``geo/sql/fragments/household_seen.sql``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE}, got {limit}")
    if tag is not None:
        kinds = tag_kinds(conn)
        if tag not in kinds:
            raise InvalidInput("tag", f"unknown tag {tag!r}; one of {', '.join(sorted(kinds))}")
        if kinds[tag][1] == "P3" and not sees_p3(reader.role):
            raise Forbidden(f"tag {tag} is a special population (P3): not for this role")
    rows = conn.execute(
        query("household_list"),
        {
            "code": code,
            "micro_grid": micro_grid,
            "grid": grid,
            "tag": tag,
            "overdue": overdue,
            "now": now or datetime.now(UTC),
            "after": after,
            "limit": limit,
            **reader.scope.params(),
        },
    ).all()
    persons, p3 = persons_of(conn, [r.id for r in rows], reader)
    households = [
        {
            "code": r.code,
            "micro_grid": r.micro_grid_code,
            "house": house_view(r),
            "head_person_id": r.head_person_id,
            "claimed_by_member_id": r.claimed_by_member_id,
            "claimed_at": r.claimed_at.isoformat() if r.claimed_at else None,
            "persons": persons.get(r.id, []),
        }
        for r in rows
    ]
    if p3:
        codes = [h["code"] for h in households if _has_p3(h)]
        audit.record(conn, reader.actor, P3_READ, "household", None, after={"households": codes})
    return {
        "households": households,
        "next": rows[-1].code if len(rows) == limit else None,
    }


def _has_p3(household: dict[str, Any]) -> bool:
    return any(t["mark"] == "P3" for p in household["persons"] for t in p["tags"])


def get_household(conn: Connection, reader: Reader, code: str) -> dict[str, Any]:
    """One household inside the reader's scope; :class:`NotFound` otherwise."""
    page = list_households(conn, reader, code=code, limit=1)
    if not page["households"]:
        raise NotFound(f"household {code} not found")
    found: dict[str, Any] = page["households"][0]
    return found


def claim(conn: Connection, reader: Reader, code: str, member_id: int | None) -> dict[str, Any]:
    """Claim household ``code`` for ``member_id`` (the caller's member record): a party
    member of its micro-grid or a grid worker of its grid; one already claimed by another
    member is refused (:class:`Forbidden` when the caller serves elsewhere)."""
    household = get_household(conn, reader, code)
    if member_id is None:
        raise Forbidden("only a member (grid worker or party member) may claim a household")
    row = conn.execute(
        query("claim_household"), {"id": _id(conn, code), "member": member_id}
    ).one_or_none()
    if row is None:
        if household["claimed_by_member_id"] not in (None, member_id):
            raise Forbidden(f"household {code} is claimed by another member")
        raise Forbidden(f"household {code} is not in a micro-grid the member serves")
    audit.record(conn, reader.actor, "registry.claim", "household", code)
    return {**household, "claimed_by_member_id": row.claimed_by_member_id,
            "claimed_at": row.claimed_at.isoformat()}  # fmt: skip


def _id(conn: Connection, code: str) -> int:
    return int(conn.execute(query("household_id"), {"code": code}).scalar_one())
