"""Houses (地) and a household's head: read, reveal the owner, edit with a version.

A house's point decides its micro-grid (:mod:`cases.registry.places`): moving the point
re-places it, and a point outside every micro-grid is refused.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, Row

from cases.registry.households import Reader, get_household
from cases.registry.marks import EDIT_ROLES, house_view
from cases.registry.people import record_version
from cases.registry.places import micro_grids
from cases.registry.sql import query
from geo.areas import current_generation
from geo.errors import Forbidden, InvalidInput, NotFound

HOUSE_FIELDS = (
    "name", "use", "structure", "rented", "owner_name", "owner_id_number", "owner_phone",
    "lon", "lat",
)  # fmt: skip


def _find(conn: Connection, reader: Reader, code: str) -> Row[Any]:
    row = conn.execute(query("house_find"), {"code": code, **reader.scope.params()}).one_or_none()
    if row is None:
        raise NotFound(f"house {code} not found")
    return row


def get_house(conn: Connection, reader: Reader, code: str) -> dict[str, Any]:
    return house_view(_find(conn, reader, code))


def reveal_owner(conn: Connection, reader: Reader, code: str) -> dict[str, str | None]:
    if reader.role not in EDIT_ROLES:
        raise Forbidden("this role may not reveal residents' personal data")
    row = _find(conn, reader, code)
    return {
        "owner_name": row.owner_name,
        "owner_id_number": row.owner_id_number,
        "owner_phone": row.owner_phone,
    }


def _point(changes: dict[str, Any], before: dict[str, Any]) -> tuple[float, float]:
    lon, lat = changes.get("lon", before["lon"]), changes.get("lat", before["lat"])
    for name, value in (("lon", lon), ("lat", lat)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidInput(name, "must be a finite number (CGCS2000 degrees)")
    return float(lon), float(lat)


def edit_house(
    conn: Connection, reader: Reader, code: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply ``changes`` (:data:`HOUSE_FIELDS`) to a house inside the scope, versioned."""
    if reader.role not in EDIT_ROLES:
        raise Forbidden("this role may not edit the registry")
    house = _find(conn, reader, code)
    unknown = sorted(set(changes) - set(HOUSE_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], "is not a field a house's edit may change")
    if not changes:
        raise InvalidInput("body", "names no field to change")
    if "name" in changes and not str(changes["name"] or "").strip():
        raise InvalidInput("name", "must not be empty")
    before = dict(conn.execute(query("house_lock"), {"id": house.id}).one()._mapping)
    after = {**before, **changes}
    if "lon" in changes or "lat" in changes:
        lon, lat = _point(changes, before)
        placed = micro_grids(conn, [lon], [lat], current_generation(conn))
        if not placed[0]:
            raise InvalidInput("lon", f"({lon}, {lat}) lies outside every micro-grid")
        after.update(lon=lon, lat=lat, micro_grid_id=int(placed[0]))
    conn.execute(query("house_update"), {**after, "id": house.id})
    version = record_version(conn, reader, "house", house.id, before, after)
    return {**get_house(conn, reader, code), "version": version}


def edit_household(
    conn: Connection, reader: Reader, code: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Set a household's head (``head_person_id``, one of its persons), versioned."""
    if reader.role not in EDIT_ROLES:
        raise Forbidden("this role may not edit the registry")
    household = get_household(conn, reader, code)
    unknown = sorted(set(changes) - {"head_person_id"})
    if unknown or not changes:
        raise InvalidInput(unknown[0] if unknown else "head_person_id", "only the head changes")
    head = changes["head_person_id"]
    if isinstance(head, bool) or not isinstance(head, int):
        raise InvalidInput("head_person_id", "must be the id of a person of the household")
    hid = int(conn.execute(query("household_id"), {"code": code}).scalar_one())
    if conn.execute(query("household_update"), {"id": hid, "head": head}).one_or_none() is None:
        raise InvalidInput("head_person_id", f"person {head} is not of household {code}")
    version = record_version(
        conn, reader, "household", hid,
        {"head_person_id": household["head_person_id"]}, {"head_person_id": head},
    )  # fmt: skip
    return {**get_household(conn, reader, code), "version": version}
