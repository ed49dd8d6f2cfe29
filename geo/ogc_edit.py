"""OGC API - Features Part 4 (Create, Replace, Update, Delete) on boundary plan drafts.

Each plan is a set of collections, one per level its draft holds (``plan-7-micro_grids``,
``plan-7-grids``, ``plan-7-villages``); a feature is a draft area and its id the area's
``ref``. Reading goes through the same statement as ``/api/v1/plans/{id}/areas`` (the
properties are one SQL fragment); every write goes through :mod:`geo.plans.edits`, the
functions the planner's API calls, so versions, the scope margin, the refusals and the
topology check (``/api/v1/plans/{id}/check``) are the same whichever way an edit came in.

What can go wrong, and what the caller sees:

- A plan outside the caller's scope, or a caller who may not plan: the collection does not
  exist (:class:`NotFound`), as a missing plan does; nothing says it is there.
- A plan that is no longer a draft (published, scheduled): its collections are read only,
  :class:`ReadOnly` (405) with the methods that remain. The live areas (``/ogc/collections/
  grids`` …) have no write routes at all.
- A stale or missing version: the feature's ETag is its draft area's ``version``;
  :class:`~geo.plans.errors.VersionConflict` (412) or
  :class:`~geo.plans.errors.VersionRequired` (428), raised by the edit functions themselves.
- A geometry or property that cannot be stored: :class:`InvalidInput` naming the field
  (``geometry``, ``properties.name`` …) with the same words as the planner's API
  (:func:`geo.shapes.polygons_from_geojson`: which ring, which position, where it crosses
  itself), before anything is written.

Coordinates arrive in CRS84 (longitude, latitude) or, with ``Content-Crs`` EPSG:4490, in
that CRS's own axis order, latitude first (what QGIS sends for a layer in EPSG:4490); they
are read as CGCS2000, which CRS84 is treated as equal to (see :mod:`geo.ogc`).

Examples
--------
>>> parse_plan_collection("plan-7-micro_grids")
PlanCollection(plan_id=7, level=<AreaLevel.MICRO_GRID: 'micro_grid'>)
>>> parse_plan_collection("grids") is None
True
>>> swap_axes([[[40.1, 110.2], [40.3, 110.4]]])
[[[110.2, 40.1], [110.4, 40.3]]]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import Connection, text

from geo.errors import InvalidInput, NotFound, WanggeError
from geo.geojson import GEOJSON
from geo.models import AreaLevel
from geo.ogc import JSON, STORAGE_CRS, Crs, check_limit
from geo.plans import edits
from geo.plans.drafts import PlanRow, get_plan
from geo.plans.models import PlanStatus
from geo.plans.sql import query
from geo.scope import Scope
from geo.shapes import polygons_from_geojson

#: The collection id's suffix per level a draft may hold (the live collections' names).
SUFFIXES = {
    AreaLevel.VILLAGE: "villages",
    AreaLevel.GRID: "grids",
    AreaLevel.MICRO_GRID: "micro_grids",
}
_PATTERN = re.compile(r"plan-([1-9][0-9]{0,8})-(villages|grids|micro_grids)")

#: Methods of a draft's collection and feature resources, and what remains when read only.
ITEMS_METHODS = ("GET", "OPTIONS", "POST")
ITEM_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "PUT")
READ_METHODS = ("GET", "OPTIONS")

#: Properties a client may set: ``name`` always, ``parent_ref`` and ``kind`` when it creates.
WRITABLE = ("name", "parent_ref", "kind")
#: Properties the service computes; a client sends them back as it read them (QGIS sends
#: every field with PUT) and they are ignored.
COMPUTED = ("ref", "status", "source_code", "code", "area_km2")
PROPERTIES = (*WRITABLE, *COMPUTED, "level", "version")
#: Members of a Feature besides ``properties`` that a write may carry.
MEMBERS = ("type", "id", "geometry", "properties", "bbox", "links")


class ReadOnly(WanggeError):
    """A write to a plan collection that no longer changes; ``allow`` lists what remains."""

    def __init__(self, message: str, allow: tuple[str, ...] = READ_METHODS) -> None:
        super().__init__(message)
        self.allow = allow


@dataclass(frozen=True)
class PlanCollection:
    """One level of one plan, as ``/ogc/collections/plan-{id}-{level}`` names it."""

    plan_id: int
    level: AreaLevel

    @property
    def id(self) -> str:
        return f"plan-{self.plan_id}-{SUFFIXES[self.level]}"


def parse_plan_collection(name: str) -> PlanCollection | None:
    """The plan collection ``name`` names, or None when it is not a plan collection's id."""
    found = _PATTERN.fullmatch(name)
    if found is None:
        return None
    level = next(lvl for lvl, suffix in SUFFIXES.items() if suffix == found[2])
    return PlanCollection(int(found[1]), level)


def _levels_below(scope_level: AreaLevel) -> list[AreaLevel]:
    return [level for level in SUFFIXES if level.depth > scope_level.depth]


def open_collection(conn: Connection, pc: PlanCollection, *, scope: Scope) -> PlanRow:
    """The plan behind ``pc`` inside ``scope``, or :class:`NotFound` (also when its draft
    cannot hold ``pc``'s level: a grid plan has no villages)."""
    try:
        plan = get_plan(conn, pc.plan_id, scope=scope)
    except NotFound:
        raise NotFound(f"no collection {pc.id!r}") from None
    if pc.level not in _levels_below(plan.scope_level):
        raise NotFound(f"no collection {pc.id!r}: plan {plan.id} is scoped to a {plan.scope_level}")
    return plan


def writable(plan: PlanRow, allow: tuple[str, ...]) -> None:
    """Refuse a write to a plan that is no longer a draft, naming what it is."""
    if plan.status is not PlanStatus.DRAFT:
        raise ReadOnly(
            f"plan {plan.id} is {plan.status.value}: its collections are read only "
            "(a published generation does not change; draw a new plan)",
            tuple(m for m in allow if m in READ_METHODS),
        )


# --- documents ---------------------------------------------------------------------------


def _link(href: str, rel: str, type_: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def _document(base: str, row: Any, level: AreaLevel, bbox: list[float] | None) -> dict[str, Any]:
    pc = PlanCollection(row.id, level)
    href = f"{base}/collections/{pc.id}"
    state = "草稿" if row.status == PlanStatus.DRAFT else "已发布，只读"
    title = f"规划方案 {row.id} {row.scope_name} {level.label}（{state}）"
    return {
        "id": pc.id,
        "title": title,
        "description": (
            f"The {level.value} areas of the draft of plan {row.id} ({row.status}, version "
            f"{row.version}) under {row.scope_code}: ref, name, level, kind, parent_ref, "
            "version, status, source_code, code, area_km2. Writable over OGC API - Features "
            "Part 4 while a draft: POST, PUT, PATCH, DELETE with If-Match on the feature's ETag."
        ),
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [bbox] if bbox else [], "crs": Crs.CRS84.value}},
        "crs": [crs.value for crs in Crs],
        "storageCrs": STORAGE_CRS.value,
        "links": [
            _link(href, "self", JSON, title),
            _link(f"{href}/items", "items", GEOJSON, "the draft areas"),
        ],
    }


def _documents(conn: Connection, base: str, plan_id: int | None, scope: Scope) -> list[Any]:
    rows = conn.execute(query("ogc_collections"), {"id": plan_id, **scope.params()}).all()
    extents: dict[tuple[int, str], list[float]] = {
        (r.id, r.level): [r.xmin, r.ymin, r.xmax, r.ymax] for r in rows if r.level is not None
    }
    plans = {r.id: r for r in rows}
    return [
        _document(base, row, level, extents.get((row.id, level.value)))
        for row in plans.values()
        for level in _levels_below(AreaLevel(row.scope_level))
    ]


def plan_collections(conn: Connection, base: str, *, scope: Scope) -> list[dict[str, Any]]:
    """The collections of every draft inside ``scope``, for ``/collections``."""
    return _documents(conn, base, None, scope)


def plan_collection(
    conn: Connection, base: str, pc: PlanCollection, *, scope: Scope
) -> dict[str, Any]:
    """One plan collection's description (any status), or :class:`NotFound`."""
    open_collection(conn, pc, scope=scope)
    return next(d for d in _documents(conn, base, pc.plan_id, scope) if d["id"] == pc.id)


# --- features ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftQuery:
    """What ``/items`` asks of a plan collection; ``bbox`` is a lon/lat box."""

    crs: Crs = Crs.CRS84
    bbox: tuple[float, float, float, float] | None = None
    limit: int = 100
    after: str | None = None


@dataclass(frozen=True)
class DraftPage:
    """Features as JSON text with their versions, how many match, the last ref if more."""

    features: list[str]
    versions: list[int]
    number_matched: int
    next_after: str | None


def items(
    conn: Connection,
    pc: PlanCollection,
    q: DraftQuery,
    *,
    scope: Scope,
    ref: str | None = None,
) -> DraftPage:
    """One page of the draft areas of ``pc`` in ref order (``ref`` picks one)."""
    check_limit(q.limit)
    open_collection(conn, pc, scope=scope)
    xmin, ymin, xmax, ymax = q.bbox if q.bbox else (None, None, None, None)
    rows = conn.execute(
        query("ogc_items"),
        {
            "plan": pc.plan_id,
            "level": pc.level.value,
            "ref": ref,
            "xmin": xmin,
            "ymin": ymin,
            "xmax": xmax,
            "ymax": ymax,
            "after": q.after,
            "limit": q.limit + 1,
            "lat_first": q.crs.lat_first,
        },
    ).all()
    found = [r for r in rows if r.ref is not None]
    more = len(found) > q.limit
    page = found[: q.limit]
    return DraftPage(
        [r.feature for r in page],
        [int(r.version) for r in page],
        int(rows[0].number_matched),
        page[-1].ref if more else None,
    )


def item(
    conn: Connection, pc: PlanCollection, ref: str, *, scope: Scope, crs: Crs = Crs.CRS84
) -> tuple[str, int]:
    """One draft area of ``pc`` as Feature JSON text and its version, or :class:`NotFound`."""
    page = items(conn, pc, DraftQuery(crs=crs, limit=1), scope=scope, ref=ref)
    if not page.features:
        raise NotFound(f"no feature {ref!r} in collection {pc.id}")
    return page.features[0], page.versions[0]


# --- what a write carries ----------------------------------------------------------------


def swap_axes(coordinates: Any, depth: int = 0) -> Any:
    """``coordinates`` with every ``[a, b]`` position turned into ``[b, a]`` (latitude-first
    input to longitude, latitude); anything malformed is left for validation to name."""
    if not isinstance(coordinates, list) or depth > 4:
        return coordinates
    if len(coordinates) == 2 and all(
        isinstance(n, int | float) and not isinstance(n, bool) for n in coordinates
    ):
        return [coordinates[1], coordinates[0]]
    return [swap_axes(c, depth + 1) for c in coordinates]


def read_geometry(obj: Any, crs: Crs) -> Any:
    """A GeoJSON Polygon or MultiPolygon in ``crs`` as a valid CGCS2000 MultiPolygon."""
    if crs.lat_first and isinstance(obj, dict):
        obj = {**obj, "coordinates": swap_axes(obj.get("coordinates"))}
    return polygons_from_geojson(obj, "cgcs2000", "geometry")


@dataclass(frozen=True)
class FeatureIn:
    """A written feature, read and checked: ``None`` where the client did not say."""

    geometry: Any | None
    name: str | None
    parent_ref: str | None
    kind: str | None
    version: int | None
    sent: frozenset[str]


def _text(value: Any, field: str, longest: int, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidInput(field, "is empty")
    if len(value) > longest:
        raise InvalidInput(field, f"is {len(value):,} characters long; at most {longest}")
    if any(ord(c) < 32 for c in value):
        raise InvalidInput(field, "holds a control character (NUL, newline …)")
    return value


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("properties.version", f"expected a positive integer, got {value!r}")
    return value


def read_feature(
    body: Any, pc: PlanCollection, crs: Crs, *, patch: bool = False, ref: str | None = None
) -> FeatureIn:
    """The feature a POST or PUT carries (or the merge patch of a PATCH), checked.

    Unknown members and properties are refused by name, as are a ``level`` other than the
    collection's and an ``id`` other than the one in the path; the computed properties
    (:data:`COMPUTED`) are ignored, since clients send back what they read.
    """
    if not isinstance(body, dict):
        raise InvalidInput("body", f"expected a GeoJSON Feature object, got {type(body).__name__}")
    unknown = sorted(set(body) - set(MEMBERS))
    if unknown:
        raise InvalidInput(unknown[0], f"unknown member; a feature has {', '.join(MEMBERS)}")
    if not patch and body.get("type") != "Feature":
        raise InvalidInput("type", f"expected 'Feature', got {body.get('type')!r}")
    if ref is not None and body.get("id") not in (None, ref):
        raise InvalidInput("id", f"is {body.get('id')!r} but the path names {ref!r}")
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise InvalidInput("properties", "expected an object")
    unknown = sorted(set(properties) - set(PROPERTIES))
    if unknown:
        raise InvalidInput(
            f"properties.{unknown[0]}",
            f"unknown property; the properties are {', '.join(PROPERTIES)}",
        )
    level = properties.get("level")
    if level is not None and level != pc.level.value:
        raise InvalidInput("properties.level", f"is {level!r}; {pc.id} holds {pc.level.value}")
    geometry = None
    if "geometry" in body or not patch:
        if body.get("geometry") is None:
            raise InvalidInput("geometry", "is required: a draft area has a boundary")
        geometry = read_geometry(body["geometry"], crs)
    return FeatureIn(
        geometry=geometry,
        name=_text(properties.get("name"), "properties.name", 200, nullable=True),
        parent_ref=_text(properties.get("parent_ref"), "properties.parent_ref", 32, nullable=True),
        kind=_text(properties.get("kind"), "properties.kind", 16, nullable=True),
        version=_version(properties.get("version")),
        sent=frozenset(properties),
    )


# --- writes: the planner's edit functions ------------------------------------------------


def _current(conn: Connection, pc: PlanCollection, ref: str) -> Any:
    row = conn.execute(
        text(
            "SELECT ref, parent_ref, kind, ST_AsBinary(geom) AS wkb FROM plan_area "
            "WHERE plan_id = :plan AND ref = :ref AND level = :level"
        ),
        {"plan": pc.plan_id, "ref": ref, "level": pc.level.value},
    ).one_or_none()
    if row is None:
        raise NotFound(f"no feature {ref!r} in collection {pc.id}")
    return row


def _unchanged(current: Any, feature: FeatureIn) -> None:
    """Refuse a change of what PUT and PATCH cannot change: the parent and the kind."""
    if feature.parent_ref is not None and feature.parent_ref != current.parent_ref:
        raise InvalidInput(
            "properties.parent_ref",
            f"is {current.parent_ref}; hand areas to another parent with "
            "POST /api/v1/plans/{id}/move",
        )
    if "kind" in feature.sent and feature.kind != current.kind:
        raise InvalidInput("properties.kind", "is set when the area is drawn and stays")


def create(conn: Connection, pc: PlanCollection, feature: FeatureIn, *, scope: Scope) -> str:
    """Draw the new area ``feature`` (name and parent_ref required); returns its ref."""
    writable(open_collection(conn, pc, scope=scope), ITEMS_METHODS)
    if feature.name is None:
        raise InvalidInput("properties.name", "is required for a new area")
    if feature.parent_ref is None:
        raise InvalidInput("properties.parent_ref", "is required: the ref of the parent area")
    return edits.add_area(
        conn,
        pc.plan_id,
        scope=scope,
        parent_ref=feature.parent_ref,
        name=feature.name,
        geom=feature.geometry,
        level=pc.level,
        kind=feature.kind,
    )


def replace(
    conn: Connection,
    pc: PlanCollection,
    ref: str,
    feature: FeatureIn,
    version: int | None,
    *,
    scope: Scope,
) -> int:
    """PUT and PATCH: a new boundary (the current one when a patch has none) and name, through
    :func:`geo.plans.edits.replace_geometry`; returns the area's new version."""
    writable(open_collection(conn, pc, scope=scope), ITEM_METHODS)
    current = _current(conn, pc, ref)
    _unchanged(current, feature)
    geometry = feature.geometry
    if geometry is None:
        geometry = shapely.from_wkb(bytes(current.wkb))
    return edits.replace_geometry(
        conn, pc.plan_id, ref, geometry, version, scope=scope, name=feature.name
    )


def delete(
    conn: Connection, pc: PlanCollection, ref: str, version: int | None, *, scope: Scope
) -> None:
    """Remove a draft area through :func:`geo.plans.edits.remove_area`."""
    writable(open_collection(conn, pc, scope=scope), ITEM_METHODS)
    _current(conn, pc, ref)
    edits.remove_area(conn, pc.plan_id, ref, version, scope=scope)
