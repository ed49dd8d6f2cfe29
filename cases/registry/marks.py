"""Sensitivity marks P0–P3 of the registry's fields and tags, and who sees what.

* P0/P1 (a house's code, name and point; sex, ethnicity, residence type, use, structure …)
  are served as stored to every reader inside their scope.
* P2 (names, ID numbers, birth dates, phones; owners', legal persons' and contacts' too) are
  served masked (:mod:`geo.privacy`); the clear value needs a reveal with a reason, audited
  (:mod:`api.reveal`).
* P3 (community correction, drug rehabilitation, mental health: special populations and
  health) only to the roles whose duty needs them (:data:`P3_ROLES`: the command centre, the
  township, administrators, and a grid worker for the households of their own grid, which is
  all their scope holds); every answer carrying one is audited (:data:`P3_READ`); never in a
  tile, an export, a heat layer or an aggregate smaller than ``WANGGE_PRIVACY_K``.

Examples
--------
>>> sees_p3(Role.COMMAND), sees_p3(Role.DEPARTMENT), sees_p3(Role.PLANNER)
(True, False, False)
>>> visible_tags([("migrant", "P1"), ("mental_health", "P3")], Role.PARTY_MEMBER)
['migrant']
>>> k_safe(2, 3), k_safe(3, 3), k_safe(0, 3)
(None, 3, 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from access.accounts import Role
from geo.privacy import mask_id_number, mask_name, mask_phone

#: The marks of the person fields (issue #16's table).
PERSON_MARKS = {
    "name": "P2",
    "id_number": "P2",
    "birth_date": "P2",
    "phone": "P2",
    "sex": "P1",
    "ethnicity": "P1",
    "residence_type": "P1",
    "party_member": "P1",
    "household": "P1",
}
HOUSE_MARKS = {
    "code": "P0",
    "name": "P0",
    "geometry": "P0",
    "use": "P1",
    "structure": "P1",
    "rented": "P1",
    "owner_name": "P2",
    "owner_id_number": "P2",
    "owner_phone": "P2",
}
ORGANISATION_MARKS = {"legal_person": "P2", "contact_phone": "P2"}

#: Roles whose duty needs special populations and health (P3).
P3_ROLES = frozenset({Role.ADMIN, Role.COMMAND, Role.TOWNSHIP, Role.GRID_WORKER})
#: Roles that may edit the registry and reveal its P2 fields (inside their scope).
EDIT_ROLES = frozenset({Role.ADMIN, Role.COMMAND, Role.TOWNSHIP, Role.GRID_WORKER})
#: The audit action of an answer that carried P3 tags.
P3_READ = "registry.p3_read"
#: Residence types as the offices write them, and as stored.
RESIDENCE = {"户籍": "registered", "流动": "floating", "境外": "overseas"}
RESIDENCE_LABELS = {v: k for k, v in RESIDENCE.items()}


def sees_p3(role: Role) -> bool:
    return role in P3_ROLES


def visible_tags(tags: Iterable[tuple[str, str]], role: Role) -> list[str]:
    """The tags (tag, mark) the role may see: P3 ones only with :func:`sees_p3`."""
    return [tag for tag, mark in tags if mark != "P3" or sees_p3(role)]


def k_safe(count: int, k: int) -> int | None:
    """A count of special populations as an aggregate may show it: None below ``k`` (0 is
    shown: it tells nothing about anyone)."""
    return count if count == 0 or count >= k else None


def mask_birth_date(born: date | None) -> str | None:
    """The year only.

    >>> mask_birth_date(date(1980, 1, 2))
    '1980-**-**'
    """
    return None if born is None else f"{born.year}-**-**"


def person_view(row: Any, tags: list[dict[str, str]]) -> dict[str, Any]:
    """A person as every reader gets them: P2 fields masked, ``tags`` already cut to the role."""
    return {
        "id": row.id,
        "household": row.household_code,
        "name": mask_name(row.name),
        "id_number": mask_id_number(row.id_number),
        "birth_date": mask_birth_date(row.birth_date),
        "sex": row.sex,
        "ethnicity": row.ethnicity,
        "phone": mask_phone(row.phone),
        "residence_type": row.residence_type,
        "party_member": row.party_member,
        "tags": tags,
    }


def house_view(row: Any) -> dict[str, Any]:
    """A house: code, name and point as stored, the owner masked."""
    return {
        "code": row.house_code,
        "name": row.house_name,
        "lon": row.lon,
        "lat": row.lat,
        "micro_grid": row.micro_grid_code,
        "use": row.use,
        "structure": row.structure,
        "rented": row.rented,
        "owner_name": mask_name(row.owner_name),
        "owner_id_number": mask_id_number(row.owner_id_number),
        "owner_phone": mask_phone(row.owner_phone),
    }
