"""The gate itself: :func:`check_layout` and what it reports (:class:`Unit`, :class:`Problem`).

See :mod:`geo.topology` for the rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidInput
from geo.topology import coverage
from geo.topology.coverage import area_m2

__all__ = ["AREA_RESOLUTION_M2", "KINDS", "NARROW_GAP_M", "Problem", "Unit", "check_layout"]

#: Problem kinds, in the order problems are sorted.
KINDS = (
    "wrong_type",
    "empty",
    "invalid",
    "duplicate_code",
    "not_covered",
    "overlap",
    "gap",
    "edge_mismatch",
)
#: Overlaps and parts outside the parent up to this area are edge mismatches (1 cm²).
AREA_RESOLUTION_M2 = 1e-4
#: Gaps narrower than this have their edges flagged even when their area is tolerated.
NARROW_GAP_M = 1.0

POLYGONAL = ("Polygon", "MultiPolygon")
LOCATION = re.compile(r"\[(\S+) (\S+)\]$")
REASONS_ZH = {
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "点数过少",
    "Hole lies outside shell": "内环在外环之外",
    "Nested holes": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}


@dataclass(frozen=True)
class Unit:
    """A child area of a layout: its code, name and (Multi)Polygon in CGCS2000 lon/lat."""

    code: str
    name: str
    geometry: BaseGeometry

    @property
    def label(self) -> str:
        """``code「name」``, for messages."""
        return f"{self.code}「{self.name}」" if self.name else self.code


@dataclass(frozen=True)
class Problem:
    """One reason a layout is refused, and where.

    ``geometry`` is the overlap or gap polygon, the part outside the parent, the point GEOS
    names for an invalid geometry, the unmatched edge segments, the areas sharing a
    duplicated code, or ``None`` when there is nothing to show. ``area_m2`` is set for areas.
    """

    kind: str
    reason: str
    codes: tuple[str, ...]
    geometry: BaseGeometry | None
    area_m2: float | None = None

    def to_feature(self) -> dict[str, Any]:
        """An RFC 7946 Feature (exteriors counter-clockwise) with the rest as properties.

        Examples
        --------
        >>> Problem("empty", "01 is empty", ("01",), None).to_feature()["properties"]
        {'kind': 'empty', 'reason': '01 is empty', 'codes': ['01'], 'area_m2': None}
        """
        return {
            "type": "Feature",
            "geometry": geojson(self.geometry),
            "properties": {
                "kind": self.kind,
                "reason": self.reason,
                "codes": list(self.codes),
                "area_m2": self.area_m2,
            },
        }


def geojson(geometry: BaseGeometry | None) -> dict[str, Any] | None:
    """RFC 7946 geometry (exteriors counter-clockwise), or None for nothing to show."""
    if geometry is None or geometry.is_empty:
        return None
    return dict(mapping(shapely.orient_polygons(geometry)))


def check_layout(
    children: Sequence[Unit], parent: BaseGeometry | None, *, gap_tolerance_m2: float = 1.0
) -> list[Problem]:
    """Every reason the ``children`` do not partition ``parent``, sorted; empty when they do.

    Parameters
    ----------
    children
        The proposed child areas, in CGCS2000 lon/lat.
    parent
        The area they must fill exactly, or ``None`` to check the children only among
        themselves (no ``not_covered``, ``gap`` or parent-edge checks).
    gap_tolerance_m2
        Gaps inside the parent up to this area are accepted (the edges of one narrower than
        :data:`NARROW_GAP_M` are still an ``edge_mismatch``).

    Returns
    -------
    list of Problem
        Sorted by kind (in :data:`KINDS` order), codes, then position.

    Raises
    ------
    InvalidInput
        When ``parent`` is not a valid, non-empty (Multi)Polygon.
    """
    if parent is not None:
        require_parent(parent)
    children = sorted(children, key=_unit_key)  # the same answer whatever the input order
    problems = _duplicate_codes(children)
    geoms, found = _stand_ins(children)
    problems += found
    usable = np.flatnonzero(shapely.is_geometry(geoms))
    units = [children[int(i)] for i in usable]
    polygons = geoms[usable].astype(object)
    tree = shapely.STRtree(polygons)
    areas = _overlaps(units, polygons, tree)
    if parent is not None:
        areas += _outside(units, polygons, parent)
        areas += _gaps(units, polygons, tree, parent, gap_tolerance_m2)
    problems += areas
    explained = [p.geometry for p in areas if p.geometry is not None]
    edges = coverage.unmatched_edges(
        polygons, parent, explained=explained, gap_width_m=NARROW_GAP_M
    )
    problems += [
        _mismatch([units[i] if i >= 0 else None for i in who], w, m) for who, w, m in edges
    ]
    return sorted(problems, key=_sort_key)


def _unit_key(unit: Unit) -> tuple[str, str, bytes]:
    return unit.code, unit.name, shapely.to_wkb(unit.geometry) if unit.geometry else b""


def _sort_key(problem: Problem) -> tuple[int, tuple[str, ...], tuple[float, ...], str]:
    where = problem.geometry.bounds if problem.geometry is not None else ()
    return KINDS.index(problem.kind), problem.codes, tuple(where), problem.reason


def require_parent(parent: BaseGeometry) -> None:
    """Refuse a parent the layout cannot be checked against."""
    if parent.geom_type not in POLYGONAL or parent.is_empty:
        raise InvalidInput("parent", f"must be a non-empty (Multi)Polygon, got {parent.geom_type}")
    if not parent.is_valid:
        raise InvalidInput("parent", f"is not a valid geometry: {shapely.is_valid_reason(parent)}")


def area_text(area: float) -> str:
    """Square metres for a message: one decimal, four below 1 m², then two significant."""
    return f"{area:,.1f}" if area >= 1 else f"{area:.4f}" if area >= 1e-4 else f"{area:.1e}"


def _duplicate_codes(children: Sequence[Unit]) -> list[Problem]:
    seen: dict[str, list[Unit]] = {}
    for unit in children:
        seen.setdefault(unit.code, []).append(unit)
    problems = []
    for code, units in seen.items():
        if len(units) > 1:
            names = "、".join(f"「{u.name}」" for u in units)
            problems.append(
                Problem(
                    "duplicate_code",
                    f"编码 {code} 被 {len(units)} 个区域重复使用：{names} "
                    f"(code {code} is used by {len(units)} areas)",
                    (code,),
                    shapely.GeometryCollection([u.geometry for u in units if u.geometry]),
                )
            )
    return problems


def _stand_ins(children: Sequence[Unit]) -> tuple[np.ndarray, list[Problem]]:
    """What the layout checks run on (None where a child takes no part), and the problems."""
    geoms = np.full(len(children), None, dtype=object)
    problems: list[Problem] = []
    for i, unit in enumerate(children):
        geom = unit.geometry
        if geom is None or geom.geom_type not in POLYGONAL:
            kind = "nothing" if geom is None else geom.geom_type
            problems.append(
                Problem(
                    "wrong_type",
                    f"{unit.label} 不是面，而是 {kind} (must be a Polygon or MultiPolygon, "
                    f"got {kind})",
                    (unit.code,),
                    None if geom is None or geom.is_empty else geom,
                )
            )
        elif geom.is_empty:
            problems.append(
                Problem(
                    "empty", f"{unit.label} 几何为空 (the geometry is empty)", (unit.code,), None
                )
            )
        elif not geom.is_valid:
            problems.append(_invalid(unit))
            repaired = coverage.make_valid(geom)
            geoms[i] = repaired if not repaired.is_empty else None
        else:
            geoms[i] = geom
    return geoms, problems


def _invalid(unit: Unit) -> Problem:
    reason = shapely.is_valid_reason(unit.geometry)
    match = LOCATION.search(reason)
    what = reason[: match.start()] if match else reason
    where: BaseGeometry | None = None
    at = ""
    if match:
        x, y = float(match.group(1)), float(match.group(2))
        if np.isfinite(x) and np.isfinite(y):
            where = shapely.Point(x, y)
            at = f" at {x:.7f} {y:.7f}"
    return Problem(
        "invalid",
        f"{unit.label} 几何无效：{REASONS_ZH.get(what, what)} (invalid geometry: {what}{at})",
        (unit.code,),
        where,
    )


def _overlaps(units: list[Unit], polygons: np.ndarray, tree: shapely.STRtree) -> list[Problem]:
    left, right, shared = coverage.overlaps(polygons, tree)
    areas = area_m2(shared) if len(shared) else np.zeros(0)
    problems = []
    for a, b, where, area in zip(left, right, shared, areas, strict=True):
        if area <= AREA_RESOLUTION_M2:
            continue
        (ua, ga), (ub, gb) = sorted(
            [(units[a], polygons[a]), (units[b], polygons[b])], key=lambda pair: pair[0].code
        )
        if shapely.equals(ga, gb):
            zh, en = f"{ua.label} 与 {ub.label} 完全重合", f"{ua.code} and {ub.code} are identical"
        elif shapely.within(gb, ga) or shapely.within(ga, gb):
            inner, outer = (ub, ua) if shapely.within(gb, ga) else (ua, ub)
            zh = f"{inner.label} 整个位于 {outer.label} 之内"
            en = f"{inner.code} lies inside {outer.code}"
        else:
            zh, en = f"{ua.label} 与 {ub.label} 重叠", f"{ua.code} and {ub.code} overlap"
        text = area_text(float(area))
        problems.append(
            Problem(
                "overlap",
                f"{zh} {text} m² ({en}: {text} m²)",
                (ua.code, ub.code),
                where,
                float(area),
            )
        )
    return problems


def _outside(units: list[Unit], polygons: np.ndarray, parent: BaseGeometry) -> list[Problem]:
    which, parts = coverage.outside(polygons, parent)
    areas = area_m2(parts) if len(parts) else np.zeros(0)
    problems = []
    for i, where, area in zip(which, parts, areas, strict=True):
        if area <= AREA_RESOLUTION_M2:
            continue
        text = area_text(float(area))
        problems.append(
            Problem(
                "not_covered",
                f"{units[i].label} 有 {text} m² 超出上级区域 "
                f"({units[i].code} extends {text} m² outside its parent)",
                (units[i].code,),
                where,
                float(area),
            )
        )
    return problems


def _gaps(
    units: list[Unit],
    polygons: np.ndarray,
    tree: shapely.STRtree,
    parent: BaseGeometry,
    tolerance_m2: float,
) -> list[Problem]:
    holes = coverage.gaps(polygons, parent)
    areas = area_m2(holes) if len(holes) else np.zeros(0)
    problems = []
    for hole, area in zip(holes, areas, strict=True):
        if area <= tolerance_m2:
            continue
        codes = tuple(sorted(units[i].code for i in coverage.bordering(tree, polygons, hole)))
        spot = hole.representative_point()
        text = area_text(float(area))
        problems.append(
            Problem(
                "gap",
                f"{_beside(codes)}有 {text} m² 空隙未被覆盖 (a gap of {text} m² next to "
                f"{', '.join(codes) or 'no child'} at {spot.x:.7f} {spot.y:.7f})",
                codes,
                hole,
                float(area),
            )
        )
    return problems


def _beside(codes: tuple[str, ...]) -> str:
    if not codes:
        return "上级区域内"
    return f"{codes[0]} 旁" if len(codes) == 1 else f"{'、'.join(codes)} 之间"


def _mismatch(who: list[Unit | None], where: BaseGeometry, metres: float) -> Problem:
    units = sorted((u for u in who if u is not None), key=lambda u: u.code)
    codes = tuple(u.code for u in units)
    labels = " 与 ".join(u.label for u in units)
    if None in who:
        zh, en = f"{labels} 与上级边界", f"the edge {' and '.join(codes)} shares with the parent"
    elif len(units) == 1:
        zh, en = f"{labels} 与相邻区域", f"an edge of {codes[0]}"
    else:
        zh, en = labels, f"the edge {' and '.join(codes)} share"
    return Problem(
        "edge_mismatch",
        f"{zh}的公共边顶点不一致，长 {metres:,.2f} m "
        f"({en} does not match vertex for vertex: {metres:,.2f} m)",
        codes,
        where,
    )
