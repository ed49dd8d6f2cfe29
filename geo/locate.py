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

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NoReturn

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from geo.errors import NotFound, OutsideCoverage
from geo.people import by_duty, member_view
from geo.points import StoragePoint
from geo.scope import Scope
from geo.sql import for_psycopg, query


@dataclass(frozen=True)
class Nearest:
    id: int
    code: str
    name: str
    distance_m: float


async def locate(
    reads: AsyncConnectionPool, point: StoragePoint, generation: int | None, *, scope: Scope
) -> dict[str, Any]:
    """The chain banner→micro-grid covering ``point`` and the people responsible for it, in
    ``generation`` (None: the current one), found with one statement (``locate_full.sql``).

    ``reads`` is the read pool (``geo.db.make_read_pool``): the statement is one short
    indexed read, so it is awaited in the event loop rather than run in a worker thread, on
    a connection held only while it runs. A point outside coverage takes a second statement
    (``nearest.sql``).
    """
    params = {"lon": point.lon, "lat": point.lat, "g": generation, **scope.params()}
    near: Nearest | None = None  # named only to a caller who sees the whole banner
    async with reads.connection() as conn:
        cursor = await conn.execute(for_psycopg(query("locate_full")), params)
        row = await cursor.fetchone()
        assert row is not None  # one row, whatever the point
        g, codes, links, people = row
        if g is not None and codes is None and scope.area_prefix is None:
            near = await nearest(conn, point.lon, point.lat, g)
    if g is None:
        raise NotFound("no boundary generation has been published yet")
    if codes is None:
        _outside(point, scope, near)
    tied = list(codes) if len(codes) > 1 else []
    return {
        "point": {
            "lon": point.raw_lon,
            "lat": point.raw_lat,
            "datum": point.datum.value,
            "cgcs2000": {"lon": round(point.lon, 9), "lat": round(point.lat, 9)},
        },
        "generation": g,
        "boundary_tie": bool(tied),
        "tied_codes": tied,
        "chain": [{k: link[k] for k in ("level", "code", "name")} for link in links],
        "responsible": by_duty([member_view(SimpleNamespace(**p)) for p in people or []]),
    }


async def nearest(
    conn: AsyncConnection[Any], lon: float, lat: float, generation: int
) -> Nearest | None:
    """The live micro-grid nearest a CGCS2000 point, with its geodesic distance in metres."""
    cursor = await conn.execute(
        for_psycopg(query("nearest")), {"lon": lon, "lat": lat, "g": generation}
    )
    row = await cursor.fetchone()
    return None if row is None else Nearest(row[0], row[1], row[2], float(row[3]))


def _outside(point: StoragePoint, scope: Scope, near: Nearest | None) -> NoReturn:
    """Refuse a point no micro-grid in ``scope`` covers, naming the nearest when allowed
    (``near``: None for a caller confined to part of the banner, or when there is none)."""
    if scope.area_prefix is not None:
        raise OutsideCoverage(
            f"({point.raw_lon}, {point.raw_lat}) in {point.datum.value} is outside every "
            "micro-grid",
            nearest_code=None,
            distance_m=None,
        )
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
