"""OGC API - Features over the area hierarchy: Part 1 Core and Part 2 (CRS by reference).

The collections are the four levels of the current generation (``townships``, ``villages``,
``grids``, ``micro_grids``), ``incident_counts``: the micro-grids with their incidents
counted per major category, open and in total, and nothing else about the incidents, and
``coverage``: the micro-grids with their households' coverage (issue #16), counts only. Features
are built as GeoJSON text inside PostGIS (``geo/sql/ogc_*.sql``) and spliced, as the area
listings are; this module holds the vocabulary (CRS, conformance, collections), the parsing
of the query parameters the standard defines, and the queries. No web framework here: the
documents take the base URL of ``/ogc`` as a string.

Every query takes the caller's :class:`~geo.scope.Scope`: only areas inside it are features
(an item outside it is :class:`NotFound` like a missing one), extents are those of the areas
inside it, and ``incident_counts`` counts only the incidents inside it (held in an area inside
it and, for department staff, routed to their department).

Coordinates are CGCS2000 (EPSG:4490), stored as longitude, latitude. They are served as
``CRS84`` (longitude, latitude; CGCS2000 and WGS 84 differ by well under a metre and are
treated as equal, as in :mod:`geo.datum`) or, on request, as EPSG:4490 in that CRS's own axis
order, latitude first, as Part 2 requires. ``bbox`` is read in the axis order of
``bbox-crs`` likewise.

Examples
--------
>>> parse_bbox("109.9,40.3,110.1,40.5")
(109.9, 40.3, 110.1, 40.5)
>>> parse_bbox("40.3,109.9,40.5,110.1", Crs.CGCS2000)
(109.9, 40.3, 110.1, 40.5)
>>> try:
...     parse_crs("EPSG:4326", "crs")
... except InvalidInput as e:
...     print(e.field, "|", e.problem.split(";")[0])
crs | unsupported CRS 'EPSG:4326'
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from geo.errors import InvalidInput, NotFound
from geo.geojson import GEOJSON
from geo.heat import feature_text
from geo.models import AreaLevel
from geo.ogc_filter import Cql2, statement, to_sql
from geo.ogc_queryables import REL as QUERYABLES_REL
from geo.ogc_queryables import SCHEMA, document, queryables
from geo.scope import Scope
from geo.sql import query

JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
#: The prefix of the link relations OGC API - Tiles defines.
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3 (Filtering) and the CQL2 classes geo/ogc_filter.py implements
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    # OGC API - Tiles Part 1 (the vector tiles described: geo/ogc_tiles.py)
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    # Part 4 (Create, Replace, Update and Delete) on plan drafts: geo/ogc_edit.py
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
)


class Crs(enum.StrEnum):
    """The CRSs features are served in; the value is the URI the standard uses."""

    CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"

    @property
    def lat_first(self) -> bool:
        """True when the CRS's first axis is latitude (EPSG:4490 per the EPSG registry)."""
        return self is Crs.CGCS2000


#: Also accepted on input: the safe CURIEs Part 2 allows (``[EPSG:4490]``).
_CRS_ALIASES = {"[OGC:CRS84]": Crs.CRS84, "[EPSG:4490]": Crs.CGCS2000}
STORAGE_CRS = Crs.CGCS2000


def parse_crs(value: str | None, field: str) -> Crs:
    """The CRS named by ``value`` (CRS84 when absent); any other is :class:`InvalidInput`."""
    if value is None:
        return Crs.CRS84
    try:
        return _CRS_ALIASES.get(value) or Crs(value)
    except ValueError:
        choices = ", ".join(crs.value for crs in Crs)
        raise InvalidInput(
            field, f"unsupported CRS {value!r}; this service offers {choices}"
        ) from None


def parse_bbox(value: str, crs: Crs = Crs.CRS84) -> tuple[float, float, float, float]:
    """``bbox`` (4 or 6 numbers, axes in ``crs`` order) as a lon/lat box in storage.

    Heights (the 6-number form) are ignored: the areas are flat. A box crossing the
    antimeridian is refused rather than guessed at; nothing here is near it.
    """
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise InvalidInput("bbox", f"expected 4 (or 6) comma-separated numbers, got {value!r}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput("bbox", f"expected numbers, got {value!r}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidInput("bbox", f"numbers must be finite, got {value!r}")
    low, high = (numbers[0:2], numbers[2:4]) if len(numbers) == 4 else (numbers[0:2], numbers[3:5])
    if crs.lat_first:
        low, high = low[::-1], high[::-1]
    (west, south), (east, north) = low, high
    axes = "minlat,minlon,maxlat,maxlon" if crs.lat_first else "minlon,minlat,maxlon,maxlat"
    if not all(-180 <= lon <= 180 for lon in (west, east)) or not all(
        -90 <= lat <= 90 for lat in (south, north)
    ):
        raise InvalidInput("bbox", f"{value!r} is outside -180..180, -90..90 (order {axes})")
    if south > north:
        raise InvalidInput("bbox", f"the minimum latitude exceeds the maximum in {value!r}")
    if west > east:
        raise InvalidInput("bbox", f"{value!r} crosses the antimeridian, which is not supported")
    return west, south, east, north


def check_datetime(value: str) -> str:
    """Refuse a ``datetime`` that is neither an RFC 3339 instant nor an interval ``a/b``.

    The features carry no time of their own (a layout is chosen with ``generation``), so a
    well-formed value selects every feature, as Part 1 lets a server do for such collections.

    Examples
    --------
    >>> check_datetime("2024-01-01T00:00:00Z/..")
    '2024-01-01T00:00:00Z/..'
    """
    ends = value.split("/")
    if len(ends) > 2 or all(end in ("", "..") for end in ends):
        raise InvalidInput("datetime", f"expected an instant or an interval a/b, got {value!r}")
    for end in ends:
        if end in ("", "..") and len(ends) == 2:
            continue
        try:
            datetime.fromisoformat(end)
        except ValueError:
            raise InvalidInput("datetime", f"{end!r} is not an RFC 3339 date or time") from None
    return value


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


class CollectionId(enum.StrEnum):
    """The feature collections, named as in the ``/ogc/collections/{collectionId}`` path."""

    TOWNSHIPS = "townships"
    VILLAGES = "villages"
    GRIDS = "grids"
    MICRO_GRIDS = "micro_grids"
    INCIDENT_COUNTS = "incident_counts"
    COVERAGE = "coverage"

    @property
    def level(self) -> AreaLevel:
        """The level whose areas are the features (micro-grids for the incident counts)."""
        return _LEVELS[self]

    @property
    def label(self) -> str:
        """The collection's title: the level's Chinese name and the id."""
        if self is CollectionId.INCIDENT_COUNTS:
            return "微网格事件统计 incident counts per micro-grid"
        if self is CollectionId.COVERAGE:
            return "微网格覆盖情况 coverage per micro-grid"
        return f"{self.level.label} {self.value.replace('_', '-')}"


_LEVELS = {
    CollectionId.TOWNSHIPS: AreaLevel.TOWNSHIP,
    CollectionId.VILLAGES: AreaLevel.VILLAGE,
    CollectionId.GRIDS: AreaLevel.GRID,
    CollectionId.MICRO_GRIDS: AreaLevel.MICRO_GRID,
    CollectionId.INCIDENT_COUNTS: AreaLevel.MICRO_GRID,
    CollectionId.COVERAGE: AreaLevel.MICRO_GRID,
}


def parse_collection(name: str) -> CollectionId:
    """The collection called ``name``, or :class:`NotFound` listing the collections."""
    try:
        return CollectionId(name)
    except ValueError:
        choices = ", ".join(c.value for c in CollectionId)
        raise NotFound(f"no collection {name!r}; the collections are {choices}") from None


# --- documents ---------------------------------------------------------------------------


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    return link | {"title": title} if title else link


def landing_page(base: str, *, openapi_url: str, docs_url: str) -> dict[str, Any]:
    """The ``/ogc`` landing page: what this is and where everything else is."""
    return {
        "title": "网格 Wangge — 达拉特旗网格 OGC API - Features",
        "description": (
            "Townships, villages, grids and micro-grids of the current boundary generation, "
            "and incident counts per micro-grid (no personal data), as GeoJSON."
        ),
        "links": [
            _link(base, "self", JSON, "this document"),
            _link(openapi_url, "service-desc", OPENAPI, "the API definition"),
            _link(docs_url, "service-doc", "text/html", "the API documentation"),
            _link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
            _link(f"{base}/collections", "data", JSON, "the feature collections"),
            _link(f"{base}/tiles", f"{OGC_REL}/tilesets-vector", JSON, "矢量切片集"),
            _link(f"{base}/tileMatrixSets", f"{OGC_REL}/tiling-schemes", JSON, "切片矩阵集"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE)}


def _extents(conn: Connection, generation: int, scope: Scope) -> dict[str, list[float]]:
    """The lon/lat bounding box of each level's live areas in ``generation`` inside ``scope``."""
    rows = conn.execute(
        query("ogc_extents"),
        {"g": generation, **scope.params()},
    )
    return {r.level: [r.xmin, r.ymin, r.xmax, r.ymax] for r in rows}


def _majors(conn: Connection) -> list[tuple[str, str]]:
    """The major (two-digit) incident categories: code and name, in code order."""
    rows = conn.execute(text("SELECT code, name FROM category WHERE length(code) = 2 ORDER BY 1"))
    return [(r.code, r.name) for r in rows]


def _description(conn: Connection, collection: CollectionId, generation: int) -> str:
    if collection is CollectionId.COVERAGE:
        return (
            f"Every micro-grid of boundary generation {generation} with its coverage now: "
            "households, claimed, visited (inside their cadence), overdue, members, "
            "last_contact and uncovered (no member, or no contact in 14 days). Counts only."
        )
    if collection is not CollectionId.INCIDENT_COUNTS:
        return (
            f"The {collection.level.label} ({collection.level.value}) areas of boundary "
            f"generation {generation}: code, name, level, kind, parent_code, population."
        )
    fields = "; ".join(f"open_{code}/total_{code} {name}" for code, name in _majors(conn))
    return (
        f"Every micro-grid of boundary generation {generation} with the incidents counted for "
        "it: open_count and total_count, and per major category "
        f"({fields}). Counts only: no incident, location or person."
    )


def _collection(
    conn: Connection,
    base: str,
    collection: CollectionId,
    generation: int,
    extents: dict[str, list[float]],
) -> dict[str, Any]:
    href = f"{base}/collections/{collection.value}"
    bbox = extents.get(collection.level.value)
    return {
        "id": collection.value,
        "title": collection.label,
        "description": _description(conn, collection, generation),
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [bbox] if bbox else [], "crs": Crs.CRS84.value}},
        "crs": [crs.value for crs in Crs],
        "storageCrs": STORAGE_CRS.value,
        "links": [
            _link(href, "self", JSON, collection.label),
            _link(f"{href}/items", "items", GEOJSON, "the features"),
            _link(f"{href}/tiles", f"{OGC_REL}/tilesets-vector", JSON, "矢量切片集"),
            _link(f"{href}/queryables", QUERYABLES_REL, SCHEMA, "可用于过滤的属性"),
            _link(f"{href}/queryables", "queryables", SCHEMA, "可用于过滤的属性"),  # GDAL's rel
        ],
    }


def collection(
    conn: Connection, base: str, collection: CollectionId, generation: int, *, scope: Scope
) -> dict[str, Any]:
    """One collection's description: extent in CRS84, the CRSs offered, the items link."""
    return _collection(conn, base, collection, generation, _extents(conn, generation, scope))


def collections(conn: Connection, base: str, generation: int, *, scope: Scope) -> dict[str, Any]:
    """Every collection's description, with the links of the ``/collections`` document."""
    extents = _extents(conn, generation, scope)
    return {
        "links": [_link(f"{base}/collections", "self", JSON, "the feature collections")],
        "collections": [_collection(conn, base, c, generation, extents) for c in CollectionId],
    }


def queryables_document(conn: Connection, base: str, collection: CollectionId) -> dict[str, Any]:
    """What a CQL2 filter may name in ``collection`` (Part 3), as a JSON Schema."""
    majors = _majors(conn) if collection is CollectionId.INCIDENT_COUNTS else []
    href = f"{base}/collections/{collection.value}/queryables"
    return document(href, collection.label, queryables(collection.value, majors))


# --- features ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemsQuery:
    """What ``/items`` asks for: the bbox is a lon/lat box in storage (see :func:`parse_bbox`)."""

    generation: int
    crs: Crs = Crs.CRS84
    bbox: tuple[float, float, float, float] | None = None
    limit: int = DEFAULT_LIMIT
    after: str | None = None
    filter: Cql2 | None = None


@dataclass(frozen=True)
class ItemsPage:
    """Features as JSON text, how many match in all and the last code when more remain."""

    features: list[str]
    number_matched: int
    next_after: str | None


def items(
    conn: Connection,
    collection: CollectionId,
    q: ItemsQuery,
    *,
    scope: Scope,
    closed: Iterable[str] = (),
    code: str | None = None,
) -> ItemsPage:
    """One page of ``collection``'s features inside ``scope`` in code order, after the code
    ``q.after``.

    ``closed`` lists the incident statuses that are not open (the workflow's, passed in:
    ``geo`` does not know them); only ``incident_counts`` uses it. ``code`` picks one feature.
    """
    check_limit(q.limit)
    majors = _majors(conn) if collection is CollectionId.INCIDENT_COUNTS else []
    found = queryables(collection.value, majors)
    where = to_sql(q.filter, found, collection.value) if q.filter else None
    xmin, ymin, xmax, ymax = q.bbox if q.bbox else (None, None, None, None)
    params: dict[str, Any] = {
        "g": q.generation,
        "code": code,
        "xmin": xmin,
        "ymin": ymin,
        "xmax": xmax,
        "ymax": ymax,
        "after": q.after,
        "limit": q.limit + 1,
        "lat_first": q.crs.lat_first,
        **scope.params(),
        **(where.params if where else {}),
    }
    if collection is CollectionId.INCIDENT_COUNTS:
        rows = conn.execute(
            statement(query("ogc_incident_counts"), where, query("ogc_incident_counts_filtered")),
            {**params, "closed": sorted(closed)},
        ).all()
        codes = [major for major, _ in majors]
        features = [
            (r.code, _count_feature(r.code, r.name, r.population, r.counts, r.geometry, codes))
            for r in rows
            if r.code is not None
        ]
    elif collection is CollectionId.COVERAGE:
        now = datetime.now(UTC)
        rows = conn.execute(
            statement(query("ogc_coverage"), where, query("ogc_coverage_filtered")),
            {**params, "now": now},
        ).all()
        features = [(r.code, r.feature) for r in rows if r.code is not None]
    else:
        rows = conn.execute(
            statement(query("ogc_area_items"), where), {**params, "level": collection.level.value}
        ).all()
        features = [(r.code, r.feature) for r in rows if r.code is not None]
    more = len(features) > q.limit
    return ItemsPage(
        [f for _, f in features[: q.limit]],
        int(rows[0].number_matched),
        features[q.limit - 1][0] if more else None,
    )


def _count_feature(
    code: str, name: str, population: int | None, counts: str, geometry: str, majors: list[str]
) -> str:
    """A micro-grid's feature with flat count fields, every major present (0 when none)."""
    per_major: dict[str, list[int]] = json.loads(counts)
    properties: dict[str, Any] = {
        "code": code,
        "name": name,
        "township_code": code[:9],
        "population": population,
        "open_count": sum(o for o, _ in per_major.values()),
        "total_count": sum(t for _, t in per_major.values()),
    }
    for major in majors:
        open_n, total_n = per_major.get(major, (0, 0))
        properties[f"open_{major}"] = open_n
        properties[f"total_{major}"] = total_n
    return feature_text(code, geometry, properties)


def item(
    conn: Connection,
    collection: CollectionId,
    feature_id: str,
    *,
    generation: int,
    scope: Scope,
    crs: Crs = Crs.CRS84,
    closed: Iterable[str] = (),
) -> str:
    """One feature inside ``scope`` as JSON text, or :class:`NotFound` naming it and the
    collection (the same outside the scope as for a code that does not exist)."""
    page = items(
        conn,
        collection,
        ItemsQuery(generation=generation, crs=crs, limit=1),
        scope=scope,
        closed=closed,
        code=feature_id,
    )
    if not page.features:
        raise NotFound(
            f"no feature {feature_id!r} in collection {collection.value} (generation {generation})"
        )
    return page.features[0]
