"""Households and population per area, from the registry: counts only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from cases.registry.sql import query
from geo.areas import area_feature, current_generation
from geo.scope import Scope


def area_counts(conn: Connection, code: str, generation: int) -> dict[str, int]:
    """The households and persons filed under the micro-grids inside area ``code``."""
    row = conn.execute(query("area_registry_counts"), {"code": code, "g": generation}).one()
    return {"households": int(row.households), "population": int(row.population)}


def area_with_counts(
    conn: Connection, code: str, generation: int, *, scope: Scope
) -> dict[str, Any]:
    """:func:`geo.areas.area_feature` with ``registry`` {households, population} added for the
    current generation (null for a past or future one: people are filed by the live layout)."""
    feature = area_feature(conn, code, generation, scope=scope)
    live = generation == current_generation(conn)
    feature["properties"]["registry"] = area_counts(conn, code, generation) if live else None
    return feature
