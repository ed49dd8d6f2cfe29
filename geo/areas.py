"""The area hierarchy: generations, listings as GeoJSON, one area with its chain and people.

Every listing and lookup takes the caller's :class:`~geo.scope.Scope`: an area whose code
does not start with the scope's prefix is left out of lists and is :class:`NotFound`, with
the message of a code that does not exist, when asked for by code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, text

from geo.errors import InvalidInput, NotFound
from geo.models import AreaLevel
from geo.people import serving
from geo.places import level_label, place_of
from geo.scope import WHOLE_BANNER, Scope
from geo.sql import query

#: Metres per degree of latitude; used to turn a simplification tolerance in metres into degrees.
METRES_PER_DEGREE = 111_320.0
MAX_PAGE = 1000
#: China Standard Time, for timestamps sent without an offset.
CHINA_TIME = timezone(timedelta(hours=8), "CST")


def current_generation(conn: Connection) -> int:
    """The id of the newest activated generation."""
    g = conn.execute(
        text("SELECT max(id) FROM generation WHERE activated_at <= now()")
    ).scalar_one()
    if g is None:
        raise NotFound("no boundary generation has been published yet")
    return int(g)


def generation_at(conn: Connection, at: datetime) -> int:
    """The generation that was current at ``at`` (the newest activated by then)."""
    g = conn.execute(
        text("SELECT max(id) FROM generation WHERE activated_at <= :at"), {"at": at}
    ).scalar_one()
    if g is None:
        raise NotFound(f"no boundary generation was current at {at.isoformat()}")
    return int(g)


def resolve_generation(
    conn: Connection, generation: int | None, *, at: datetime | None = None
) -> int:
    """``generation`` if it exists, else the one current ``at`` a time, else the current one.

    A time without a UTC offset is China time (UTC+8).
    """
    if generation is not None and at is not None:
        raise InvalidInput("at", "give either generation or at, not both")
    if at is not None:
        return generation_at(conn, at if at.tzinfo else at.replace(tzinfo=CHINA_TIME))
    if generation is None:
        return current_generation(conn)
    exists = conn.execute(
        text("SELECT 1 FROM generation WHERE id = :g"), {"g": generation}
    ).scalar_one_or_none()
    if exists is None:
        raise InvalidInput("generation", f"generation {generation} does not exist")
    return generation


def parse_level(value: str | None, field: str = "level") -> AreaLevel | None:
    if value is None:
        return None
    try:
        return AreaLevel(value)
    except ValueError:
        choices = ", ".join(level.value for level in AreaLevel)
        raise InvalidInput(field, f"unknown level {value!r}; expected one of {choices}") from None


@dataclass(frozen=True)
class AreaRow:
    id: int
    code: str
    name: str
    level: AreaLevel
    parent_id: int | None


def find_area(
    conn: Connection, code: str, generation: int, *, scope: Scope = WHOLE_BANNER
) -> AreaRow:
    """The live area with ``code`` in ``generation`` inside ``scope``, or :class:`NotFound`."""
    row = conn.execute(
        query("find_area"),
        {"code": code, "g": generation, **scope.params()},
    ).one_or_none()
    if row is None:
        raise NotFound(f"area {code} does not exist in generation {generation}")
    return AreaRow(row.id, row.code, row.name, AreaLevel(row.level), row.parent_id)


@dataclass(frozen=True)
class FeaturePage:
    """Features as JSON text, ready to splice into a FeatureCollection."""

    features: list[str]
    number_matched: int
    next_after: str | None


def list_areas(
    conn: Connection,
    *,
    generation: int,
    scope: Scope,
    level: AreaLevel | None = None,
    parent: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    simplify_m: float = 0.0,
    limit: int = 100,
    after: str | None = None,
    codes: list[str] | None = None,
) -> FeaturePage:
    """Live areas of ``generation`` inside ``scope`` as RFC 7946 features, in code order, one
    page at a time.

    ``parent`` with no ``level`` lists the parent's direct children; with a level, its
    descendants at that level. ``after`` is the last code of the previous page.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE}, got {limit}")
    if not 0 <= simplify_m <= 10_000:
        raise InvalidInput("simplify", f"must be between 0 and 10000 metres, got {simplify_m}")
    if parent is not None:
        parent_area = find_area(conn, parent, generation, scope=scope)
        if level is None:
            if parent_area.level is AreaLevel.MICRO_GRID:
                raise InvalidInput("parent", f"{parent} is a micro-grid and has no children")
            level = list(AreaLevel)[parent_area.level.depth + 1]
        elif level.depth <= parent_area.level.depth:
            raise InvalidInput(
                "level", f"{level.value} is not below the parent's level {parent_area.level.value}"
            )
    xmin, ymin, xmax, ymax = bbox if bbox else (None, None, None, None)
    params: dict[str, Any] = {
        "g": generation,
        "level": level.value if level else None,
        "parent": parent,
        "xmin": xmin,
        "ymin": ymin,
        "xmax": xmax,
        "ymax": ymax,
        "tolerance": simplify_m / METRES_PER_DEGREE,
        "codes": codes,
        **scope.params(),
    }
    rows = conn.execute(query("area_features"), {**params, "after": after, "limit": limit + 1})
    features = [(r.code, r.feature) for r in rows]
    matched = conn.execute(query("area_count"), params).scalar_one()
    next_after = features[limit - 1][0] if len(features) > limit else None
    return FeaturePage([f for _, f in features[:limit]], int(matched), next_after)


def chain(conn: Connection, area_id: int) -> list[dict[str, Any]]:
    """The area and its ancestors, banner first."""
    rows = conn.execute(query("area_chain"), {"id": area_id})
    return [{"level": r.level, "code": r.code, "name": r.name, "id": r.id} for r in rows]


def area_feature(conn: Connection, code: str, generation: int, *, scope: Scope) -> dict[str, Any]:
    """One area inside ``scope`` as a GeoJSON Feature with its parent chain, child counts and
    people (names and phones masked); :class:`NotFound` outside it."""
    area = find_area(conn, code, generation, scope=scope)
    page = list_areas(conn, generation=generation, codes=[code], limit=1, scope=scope)
    feature: dict[str, Any] = json.loads(page.features[0])
    counts = conn.execute(query("subtree_counts"), {"code": code, "g": generation})
    descendants: dict[str, int] = {}
    members: dict[str, int] = {}
    for row in counts:
        (descendants if row.what == "area" else members)[row.key] = int(row.n)
    people = serving(conn, [area.id])
    if area.level is AreaLevel.MICRO_GRID and area.parent_id is not None:
        people += [p for p in serving(conn, [area.parent_id]) if p["kind"] != "party_member"]
    feature["properties"].update(
        {
            "level_label": level_label(area.level, place_of(conn, code).place_kind),
            "chain": [
                {k: link[k] for k in ("level", "code", "name")}
                for link in chain(conn, area.id)
                if link["code"] != code
            ],
            "descendant_counts": descendants,
            "member_counts": members,
            "people": people,
            "generation": generation,
        }
    )
    return feature


def neighbours(conn: Connection, area_id: int, generation: int, *, scope: Scope) -> list[str]:
    """Codes of live areas inside ``scope`` of the same level that share a boundary with
    ``area_id``."""
    rows = conn.execute(
        query("neighbours"),
        {"id": area_id, "g": generation, **scope.params()},
    )
    return [r.code for r in rows]
