"""Places: the county-level units the service holds and the provinces and cities above them.

Design (issue #18, the least invasive generalisation of a one-banner service)
------------------------------------------------------------------------------
* The five stored levels stay (:class:`~geo.models.AreaLevel` ``banner`` … ``micro_grid``):
  ``banner`` is the *county-level unit*, whatever its kind, so no depth arithmetic, URL,
  code or stored row of Dalad changes. A second county-level unit (Haibowan, ``150302``) is
  one more ``banner``-level area with ``parent_id`` null, loaded into the same generation.
* What is above lives in the small ``region`` table (:class:`~geo.models.Region`: province
  ``15``, cities ``1506`` and ``1503``). Area codes are prefixes of their children all the way
  up (``15`` → ``1503`` → ``150302`` → ``150302101`` …), so belonging needs no join: a
  county-level unit belongs to the regions whose codes begin its own.
* Scopes stay code prefixes (:mod:`geo.scope`): a province account's prefix is ``15``, a
  city's ``1503``, a banner account's ``150621``. ``Scope()`` (no prefix, once named the
  whole banner) is *everything the service holds*: the administrator and internal callers.
* The kind of a county-level unit (its area row's ``kind``: ``banner`` 旗, ``district`` 区,
  ``county`` 县; null is a banner, as Dalad's sample rows are) decides the names of the levels
  below it (:func:`level_label`): a district has 街道 and 社区 where a banner has 苏木镇 and
  嘎查村. One area is named by its own ``kind`` (:func:`kind_label`: 镇, 街道, 苏木, 社区, 村…).
* Pages and lists that assumed one banner ask :func:`place_of` for the viewer's place
  (its name for titles, the scope's extent for map bounds).

Examples
--------
>>> level_label(AreaLevel.TOWNSHIP, "district"), level_label(AreaLevel.VILLAGE, None)
('街道', '嘎查村社区')
>>> county_code("150302101001"), county_code("1503"), region_codes("150302101")
('150302', None, ('15', '1503'))
>>> kind_label("street"), kind_label("gacha"), kind_label(None)
('街道', '嘎查', '')
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from geo.models import AreaLevel
from geo.sql import query

__all__ = [
    "COUNTY_DIGITS",
    "Place",
    "county_code",
    "extent",
    "kind_label",
    "level_label",
    "place_of",
    "region_codes",
    "title_place",
]

#: Digits of a county-level unit's code (the stored ``banner`` level); above it, a province
#: has two and a city four.
COUNTY_DIGITS = 6
REGION_DIGITS = (2, 4)

#: Level names below a county-level unit, by its kind (``None``: a banner).
_LEVEL_LABELS: dict[str, dict[AreaLevel, str]] = {
    "banner": {
        AreaLevel.BANNER: "旗",
        AreaLevel.TOWNSHIP: "苏木镇",
        AreaLevel.VILLAGE: "嘎查村社区",
        AreaLevel.GRID: "网格",
        AreaLevel.MICRO_GRID: "微网格",
    },
    "district": {
        AreaLevel.BANNER: "区",
        AreaLevel.TOWNSHIP: "街道",
        AreaLevel.VILLAGE: "社区",
        AreaLevel.GRID: "网格",
        AreaLevel.MICRO_GRID: "微网格",
    },
    "county": {
        AreaLevel.BANNER: "县",
        AreaLevel.TOWNSHIP: "乡镇",
        AreaLevel.VILLAGE: "村社区",
        AreaLevel.GRID: "网格",
        AreaLevel.MICRO_GRID: "微网格",
    },
}

#: The name of one area's own kind (the ``kind`` column of townships, villages, places).
_KIND_LABELS = {
    "banner": "旗",
    "district": "区",
    "county": "县",
    "town": "镇",
    "street": "街道",
    "sumu": "苏木",
    "township": "乡",
    "village": "村",
    "community": "社区",
    "gacha": "嘎查",
}

#: Level names of what is above the county-level units.
REGION_LABELS = {"province": "省（自治区）", "city": "市"}


def level_label(level: AreaLevel, place_kind: str | None = None) -> str:
    """The Chinese name of ``level`` inside a county-level unit of ``place_kind``."""
    return _LEVEL_LABELS.get(place_kind or "banner", _LEVEL_LABELS["banner"])[level]


def kind_label(kind: str | None) -> str:
    """The Chinese name of an area's own ``kind`` (empty when unknown)."""
    return _KIND_LABELS.get(kind or "", "")


def county_code(code: str) -> str | None:
    """The code of the county-level unit an area code lies in (None above that level)."""
    return code[:COUNTY_DIGITS] if len(code) >= COUNTY_DIGITS else None


def region_codes(code: str) -> tuple[str, ...]:
    """The codes of the province and city an area (or region) code lies in, widest first."""
    return tuple(code[:n] for n in REGION_DIGITS if len(code) > n)


@dataclass(frozen=True)
class Place:
    """What a scope prefix stands for: its code, Chinese name, level (``province``, ``city``,
    or an :class:`AreaLevel` value) and the kind of county-level unit it lies in (None above
    it or for a banner)."""

    code: str | None
    name: str
    level: str
    place_kind: str | None

    @property
    def title(self) -> str:
        """Page titles read ``… · <title>网格``."""
        return self.name


#: The place of a scope without a prefix: everything the service holds.
EVERYWHERE = Place(None, "全域", "all", None)


def place_of(conn: Connection, prefix: str | None) -> Place:
    """The region or area whose code is ``prefix`` (the current one), or :data:`EVERYWHERE`.

    A prefix that names nothing (an account whose area was redrawn away) falls back to its
    county-level unit, then to everything, rather than failing a page.
    """
    if prefix is None:
        return EVERYWHERE
    row = conn.execute(query("place_of"), {"code": prefix}).one_or_none()
    if row is None:
        county = county_code(prefix)
        return place_of(conn, county) if county and county != prefix else EVERYWHERE
    return Place(row.code, row.name, row.level, row.place_kind)


def title_place(conn: Connection, prefix: str | None) -> str:
    """The place a page of a viewer with scope ``prefix`` is titled by: the region of a
    province or city account, else the county-level unit the scope lies in (a township
    officer of Dalad reads 达拉特旗); for a viewer of everything, the one province holding
    every place (or 全域 when there are several or none)."""
    if prefix is None:
        roots = conn.execute(query("region_roots")).scalars().all()
        return str(roots[0]) if len(roots) == 1 else EVERYWHERE.name
    return place_of(conn, county_code(prefix) or prefix).name


def extent(
    conn: Connection, prefix: str | None, generation: int
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of what scope ``prefix`` covers in ``generation``: the area
    itself at or below a county-level unit, else every county-level unit inside (all of them
    for no prefix); None when nothing is there."""
    row = conn.execute(
        query("scope_extent"), {"p": prefix, "scope_prefix": prefix, "g": generation}
    ).one()
    if row.west is None:
        return None
    return float(row.west), float(row.south), float(row.east), float(row.north)
