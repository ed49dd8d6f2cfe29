"""Where incidents concentrate: counts and rates per micro-grid, and hexagonal density bins.

Counting happens in PostGIS (``GROUP BY``); numpy splices the counts into RFC 7946
features (:mod:`geo.heat_body`, no Python per feature) and picks the class breaks. The
micro-grids' names, populations and outlines (as GeoJSON text, per simplification) are read
once per generation and scope and kept (:func:`outlines`): a generation's areas never change
once it exists. :func:`areas` answers the encoded FeatureCollection, kept per counts
(:data:`BODIES`); :func:`bins` a :class:`FeatureSet`: features as JSON text plus the
collection's top-level members.

Class breaks are **Fisher-Jenks natural breaks** (mapclassify's ``FisherJenks`` breaks,
computed by :func:`geo.breaks.fisher_jenks`, five classes) of the micro-grids that have at
least one incident; micro-grids without incidents form their own class below the first break.
The data are strongly skewed: over two years 78 % of the micro-grids with a dispute have
exactly one, so quintiles collapse to three classes (1, 2, 3-13) while Fisher-Jenks gives 1,
2-3, 4-5, 6-8, 9-13.

Both count only the incidents inside the caller's :class:`~geo.scope.Scope`: held in an area
inside it and, for department staff, routed to their department; the micro-grids listed are
those inside it.

Small counts are suppressed for roles without access to the cases (``k`` from
``WANGGE_PRIVACY_K``, chosen by the caller; 0 suppresses nothing): a micro-grid whose count is
from 1 to k−1 answers ``count`` and ``rate`` null, a hexagon with such a count is left out,
and totals and class breaks are of the counts shown (:func:`shown`), so one family dispute in a
small village cannot be read off the map, nor worked out from a total. A count of 0 discloses
no one and is shown.

Examples
--------
>>> shown([0, 1, 2, 3, 7], k=3)
[0, None, None, 3, 7]
>>> shown([1, 2], k=0)
[1, 2]
>>> natural_breaks([0, 0, 1, 1, 1, 1, 2, 2, 3, 5, 8, 13])
[1.0, 3.0, 5.0, 8.0, 13.0]
>>> natural_breaks([0, 2, 2, 7])
[2.0, 7.0]
>>> natural_breaks([0, 0])
[]
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from geo.areas import METRES_PER_DEGREE
from geo.breaks import fisher_jenks
from geo.errors import InvalidInput
from geo.geojson import dumps
from geo.heat_body import Bodies, collection_bytes, digest, numbers, tails
from geo.scope import WHOLE_BANNER, Scope
from geo.sql import query

#: Disputes (矛盾纠纷), the default major class.
DEFAULT_CATEGORY = "01"
#: CGCS2000 / Gauss-Kruger CM 111E (6-degree zone 19, 108-114E): the whole banner lies in the
#: zone, so hexagons are true metres to within 0.05 %.
BIN_SRID = 4508
BIN_SIZE_M = 1000.0
MIN_BIN_SIZE_M = 100.0
MAX_BIN_SIZE_M = 20_000.0
MAX_SIMPLIFY_M = 10_000.0
CLASSES = 5


@dataclass(frozen=True)
class FeatureSet:
    """Features as JSON text, ready to splice into a FeatureCollection with ``members``."""

    features: list[str]
    members: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HeatFilter:
    """Which incidents count: a category prefix, a window on ``reported_at``, statuses.

    ``reported_from`` is inclusive and ``reported_to`` exclusive; both must carry a UTC offset.
    Statuses are checked by the caller against the workflow's list (``geo`` does not know it).
    """

    category: str | None = DEFAULT_CATEGORY
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    statuses: tuple[str, ...] = ()

    def check(self, conn: Connection) -> HeatFilter:
        """Refuse a malformed or unknown category and a naive or inverted window."""
        if self.category is not None:
            if not (self.category.isdigit() and len(self.category) in (2, 4)):
                raise InvalidInput("category", f"{self.category!r} is not a 2- or 4-digit code")
            known = conn.execute(
                text("SELECT 1 FROM category WHERE code = :code"), {"code": self.category}
            ).scalar_one_or_none()
            if known is None:
                raise InvalidInput("category", f"unknown category {self.category!r}")
        for name, value in (("from", self.reported_from), ("to", self.reported_to)):
            if value is not None and value.utcoffset() is None:
                raise InvalidInput(name, "must carry a UTC offset, e.g. 2024-01-01T00:00:00+08:00")
        if self.reported_from and self.reported_to and self.reported_from >= self.reported_to:
            raise InvalidInput("from", "must be before 'to'")
        return self

    def params(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "from_": self.reported_from,
            "to_": self.reported_to,
            "statuses": list(self.statuses) or None,
        }

    def describe(self) -> dict[str, Any]:
        """The filter as the response echoes it."""
        return {
            "category": self.category,
            "from": self.reported_from.isoformat() if self.reported_from else None,
            "to": self.reported_to.isoformat() if self.reported_to else None,
            "status": list(self.statuses),
        }


def check_simplify(simplify_m: float) -> float:
    if not 0 <= simplify_m <= MAX_SIMPLIFY_M:
        raise InvalidInput(
            "simplify", f"must be between 0 and {MAX_SIMPLIFY_M:g} metres, got {simplify_m}"
        )
    return simplify_m


@dataclass(frozen=True)
class MicroGridCount:
    code: str
    name: str
    population: int | None
    count: int
    rate: float | None
    geometry: str


@dataclass(frozen=True)
class Outlines:
    """The live micro-grids of a generation inside a scope, in code order, as columns.

    ``heads`` are each micro-grid's Feature text up to its ``name`` property (UTF-8), ready
    for the remaining properties and the closing braces (:func:`geo.heat_body.tails`);
    ``residents`` the population as floats, NaN where there is none (no rate).
    """

    ids: tuple[int, ...]
    codes: list[str]
    names: list[str]
    population: list[int | None]
    geometry: list[str]
    heads: list[bytes]
    population_json: list[str]
    residents: np.ndarray


#: Outlines kept at once (each scope and simplification of a generation is one).
KEPT_OUTLINES = 16
_outlines: OrderedDict[tuple[str, int, str | None, float], Outlines] = OrderedDict()
_outlines_lock = threading.Lock()


def outlines(
    conn: Connection, generation: int, scope: Scope, tolerance: float, ids: Sequence[int]
) -> Outlines:
    """The outlines of the live micro-grids ``ids`` (in code order), read once and kept.

    Read again when the micro-grids are not those ``ids`` (a generation created in a
    transaction that was rolled back, then one with the same number).
    """
    url = conn.engine.url.render_as_string(hide_password=True)
    key = (url, generation, scope.area_prefix, tolerance)
    with _outlines_lock:
        known = _outlines.get(key)
        if known is not None:
            _outlines.move_to_end(key)
    if known is not None and known.ids == tuple(ids):
        return known
    rows = conn.execute(
        query("heat_outlines"), {"g": generation, "tolerance": tolerance, **scope.params()}
    ).all()
    population = np.array([-1 if r.population is None else r.population for r in rows])
    built = Outlines(
        ids=tuple(r.id for r in rows),
        codes=[r.code for r in rows],
        names=[r.name for r in rows],
        population=[r.population for r in rows],
        geometry=[r.geometry for r in rows],
        heads=[_head(r.code, r.geometry, r.name).encode() for r in rows],
        population_json=numbers(population, population < 0),
        residents=np.where(population > 0, population, np.nan).astype(np.float64),
    )
    with _outlines_lock:
        _outlines[key] = built
        while len(_outlines) > KEPT_OUTLINES:
            _outlines.popitem(last=False)
    return built


def _head(code: str, geometry: str, name: str) -> str:
    code_json = json.dumps(code)
    name_json = json.dumps(name, ensure_ascii=False)
    return (
        f'{{"type":"Feature","id":{code_json},"geometry":{geometry},'
        f'"properties":{{"code":{code_json},"name":{name_json}'
    )


def counts_and_outlines(
    conn: Connection,
    where: HeatFilter,
    *,
    generation: int,
    scope: Scope = WHOLE_BANNER,
    simplify_m: float = 0.0,
) -> tuple[Outlines, np.ndarray]:
    """The live micro-grids of ``generation`` inside ``scope`` and, in the same order, their
    matching incidents inside ``scope`` (an int64 array)."""
    where.check(conn)
    tolerance = check_simplify(simplify_m) / METRES_PER_DEGREE
    rows = conn.execute(
        query("heat_counts"), {**where.params(), **scope.params(), "g": generation}
    ).all()
    found = outlines(conn, generation, scope, tolerance, [r.id for r in rows])
    return found, np.array([r.n for r in rows], dtype=np.int64)


def shown(counts: Sequence[int], k: int) -> list[int | None]:
    """``counts`` with those from 1 to ``k`` − 1 suppressed (None); ``k`` 0 or 1 keeps all."""
    return [None if 0 < n < k else n for n in counts]


def rates(counts: np.ndarray, population: Sequence[int | None]) -> list[float | None]:
    """Incidents per 1,000 residents; ``None`` where there are no residents."""
    return [
        n * 1000 / p if p is not None and p > 0 else None
        for n, p in zip(counts.tolist(), population, strict=True)
    ]


def micro_grid_counts(
    conn: Connection,
    where: HeatFilter,
    *,
    generation: int,
    scope: Scope = WHOLE_BANNER,
    simplify_m: float = 0.0,
) -> list[MicroGridCount]:
    """Every live micro-grid of ``generation`` inside ``scope`` in code order with its matching
    incidents inside ``scope`` (the whole banner by default, for internal callers).

    ``rate`` is incidents per 1,000 residents (``None`` for a micro-grid without residents);
    ``geometry`` is RFC 7946 GeoJSON text, simplified by ``simplify_m`` metres.
    """
    found, counts = counts_and_outlines(
        conn, where, generation=generation, scope=scope, simplify_m=simplify_m
    )
    return [
        MicroGridCount(code, name, population, n, rate, geometry)
        for code, name, population, n, rate, geometry in zip(
            found.codes,
            found.names,
            found.population,
            counts.tolist(),
            rates(counts, found.population),
            found.geometry,
            strict=True,
        )
    ]


def feature_text(code: str, geometry: str, properties: dict[str, Any]) -> str:
    """One Feature as JSON text around geometry text the database produced."""
    props = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
    head = f'{{"type":"Feature","id":{json.dumps(code)},"geometry":'
    return f'{head}{geometry},"properties":{props}}}'


def natural_breaks(values: Sequence[float] | np.ndarray, k: int = CLASSES) -> list[float]:
    """Upper bounds of at most ``k`` Fisher-Jenks classes of the positive ``values``."""
    positive = np.asarray(values, dtype=np.float64)
    return fisher_jenks(positive[positive > 0], k)


#: Responses kept (:class:`geo.heat_body.Bodies`): a province's is ~30 MB at full detail.
BODIES = Bodies(budget=192 * 2**20)


def areas(
    conn: Connection,
    where: HeatFilter,
    *,
    generation: int,
    scope: Scope,
    simplify_m: float = 0.0,
    k: int = 0,
) -> bytes:
    """Micro-grids with ``count``, ``rate`` per 1,000 residents and natural class breaks, as
    an encoded FeatureCollection.

    Top-level members: ``breaks`` (count classes, as upper bounds), ``rate_breaks``,
    ``classification`` (how they were made), ``total``, ``generation``, ``filter`` and
    ``suppressed_below`` (``k``, or null when nothing is suppressed).
    """
    found, counts = counts_and_outlines(
        conn, where, generation=generation, scope=scope, simplify_m=simplify_m
    )
    key = ("areas", generation, k, dumps(where.describe()), digest(counts))
    return BODIES.get(found, key, lambda: _areas_body(found, counts, where, generation, k))


def _areas_body(
    found: Outlines, counts: np.ndarray, where: HeatFilter, generation: int, k: int
) -> bytes:
    hidden = (counts > 0) & (counts < k)
    rate = counts * 1000 / found.residents
    no_rate = hidden | np.isnan(rate)
    members = {
        "total": int(counts[~hidden].sum()),
        "suppressed_below": k if k > 1 else None,
        "breaks": natural_breaks(np.where(hidden, 0, counts)),
        "rate_breaks": natural_breaks(np.where(no_rate, 0.0, rate)),
        "classification": {
            "method": "Fisher-Jenks natural breaks (mapclassify's, on distinct values)",
            "classes": CLASSES,
            "of": "micro-grids with count > 0; count 0 is a class of its own",
            "bounds": "upper, inclusive",
        },
        "generation": generation,
        "filter": where.describe(),
    }
    ends = tails(
        '"count":{},"rate":{},"population":{}',
        numbers(counts, hidden),
        numbers(rate, no_rate),
        found.population_json,
    )
    return collection_bytes(members, found.heads, ends)


def bins(
    conn: Connection,
    where: HeatFilter,
    *,
    scope: Scope,
    size_m: float = BIN_SIZE_M,
    k: int = 0,
) -> FeatureSet:
    """Hexagons of edge ``size_m`` metres with the number of matching incidents inside
    ``scope`` in each.

    Only hexagons with at least one incident are returned (and, with ``k``, at least ``k``);
    every matching incident is counted by its location, including any placed outside every
    micro-grid.
    """
    if not MIN_BIN_SIZE_M <= size_m <= MAX_BIN_SIZE_M:
        raise InvalidInput(
            "size",
            f"must be between {MIN_BIN_SIZE_M:g} and {MAX_BIN_SIZE_M:g} metres, got {size_m}",
        )
    where.check(conn)
    rows = conn.execute(
        query("heat_bins"),
        {**where.params(), **scope.params(), "size": size_m, "srid": BIN_SRID},
    ).all()
    rows = [r for r in rows if r.n >= k]
    features = [
        feature_text(f"{r.i},{r.j}", r.geometry, {"i": r.i, "j": r.j, "count": r.n}) for r in rows
    ]
    counts = [r.n for r in rows]
    return FeatureSet(
        features,
        {
            "total": sum(counts),
            "suppressed_below": k if k > 1 else None,
            "max": max(counts, default=0),
            "breaks": natural_breaks(counts),
            "size_m": size_m,
            "grid": f"hexagons of edge size_m in EPSG:{BIN_SRID}, lowest (i, j) on a shared edge",
            "filter": where.describe(),
        },
    )
