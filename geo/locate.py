"""Which micro-grid covers a point, and who is responsible for it.

A point on an edge shared by several micro-grids is covered by all of them: it goes to the
lowest code and the answer says ``boundary_tie``. A point outside every micro-grid is
:class:`~geo.errors.OutsideCoverage`, naming the nearest micro-grid and its distance.

Only micro-grids inside the caller's scope cover a point. For a caller confined to part of
the banner, a point that none of their micro-grids covers is outside coverage, whether or not
another micro-grid covers it, and the answer names no nearest micro-grid: it would tell what
lies outside the scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, NoReturn

from sqlalchemy import Connection

from geo.errors import NotFound, OutsideCoverage
from geo.people import by_duty, member_view
from geo.points import StoragePoint
from geo.scope import Scope
from geo.sql import query


@dataclass(frozen=True)
class Nearest:
    id: int
    code: str
    name: str
    distance_m: float


@dataclass(frozen=True)
class Cover:
    """The micro-grids covering a point: ``code`` is the chosen one (the lowest)."""

    id: int
    code: str
    tied_codes: list[str] = field(default_factory=list)

    @property
    def boundary_tie(self) -> bool:
        return len(self.tied_codes) > 1


def covering(
    conn: Connection, lon: float, lat: float, generation: int, *, scope: Scope
) -> Cover | None:
    """The micro-grid inside ``scope`` covering a CGCS2000 point in ``generation``, or None."""
    rows = conn.execute(
        query("locate"), {"lon": lon, "lat": lat, "g": generation, **scope.params()}
    ).all()
    if not rows:
        return None
    return Cover(rows[0].id, rows[0].code, [r.code for r in rows] if len(rows) > 1 else [])


def nearest(conn: Connection, lon: float, lat: float, generation: int) -> Nearest | None:
    """The live micro-grid nearest a CGCS2000 point, with its geodesic distance in metres."""
    row = conn.execute(query("nearest"), {"lon": lon, "lat": lat, "g": generation}).one_or_none()
    if row is None:
        return None
    return Nearest(row.id, row.code, row.name, float(row.distance_m))


def locate(
    conn: Connection, point: StoragePoint, generation: int | None, *, scope: Scope
) -> dict[str, Any]:
    """The chain banner→micro-grid covering ``point`` and the people responsible for it, in
    ``generation`` (None: the current one), found with one statement (``locate_full.sql``)."""
    row = conn.execute(
        query("locate_full"),
        {"lon": point.lon, "lat": point.lat, "g": generation, **scope.params()},
    ).one()
    if row.g is None:
        raise NotFound("no boundary generation has been published yet")
    if row.codes is None:
        _outside(conn, point, row.g, scope=scope)
    links = row.chain
    tied = list(row.codes) if len(row.codes) > 1 else []
    return {
        "point": {
            "lon": point.raw_lon,
            "lat": point.raw_lat,
            "datum": point.datum.value,
            "cgcs2000": {"lon": round(point.lon, 9), "lat": round(point.lat, 9)},
        },
        "generation": row.g,
        "boundary_tie": bool(tied),
        "tied_codes": tied,
        "chain": [{k: link[k] for k in ("level", "code", "name")} for link in links],
        "responsible": by_duty([member_view(SimpleNamespace(**p)) for p in row.people or []]),
    }


def _outside(conn: Connection, point: StoragePoint, generation: int, *, scope: Scope) -> NoReturn:
    """Refuse a point no micro-grid in ``scope`` covers, naming the nearest when allowed."""
    if scope.area_prefix is not None:
        raise OutsideCoverage(
            f"({point.raw_lon}, {point.raw_lat}) in {point.datum.value} is outside every "
            "micro-grid",
            nearest_code=None,
            distance_m=None,
        )
    near = nearest(conn, point.lon, point.lat, generation)
    if near is None:
        raise OutsideCoverage(
            "no micro-grids in this generation", nearest_code=None, distance_m=None
        )
    raise OutsideCoverage(
        f"({point.raw_lon}, {point.raw_lat}) in {point.datum.value} is outside every "
        f"micro-grid; the nearest is {near.code} {near.name}, {near.distance_m:.0f} m away",
        nearest_code=near.code,
        distance_m=round(near.distance_m, 1),
    )
