"""Repairs offered for a layout, never applied by the gate: :func:`suggest_repairs` and
:func:`apply_repairs`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidInput
from geo.topology import coverage
from geo.topology.gate import (
    LOCATION,
    POLYGONAL,
    REASONS_ZH,
    Unit,
    area_text,
    geojson,
    require_parent,
)
from geo.topology.snapping import snap_slivers

__all__ = ["Repair", "apply_repairs", "suggest_repairs"]


@dataclass(frozen=True)
class Repair:
    """A change offered for one child: ``before`` becomes ``after``, for the reason in ``note``.

    ``action`` is ``make_valid`` (an invalid geometry rebuilt with
    ``make_valid(method="structure")``) or ``snap`` (edges moved by at most the tolerance
    onto the neighbours' and the parent's: slivers of gap filled, slivers of overlap or
    outside the parent removed, vertices snapped).
    """

    code: str
    action: str
    before: BaseGeometry
    after: BaseGeometry
    note: str

    def to_feature(self) -> dict[str, Any]:
        """An RFC 7946 Feature of ``after``, to show next to ``before``."""
        return {
            "type": "Feature",
            "geometry": geojson(self.after),
            "properties": {"code": self.code, "action": self.action, "note": self.note},
        }


def suggest_repairs(
    children: Sequence[Unit],
    parent: BaseGeometry | None,
    *,
    snap_tolerance_m: float = 0.5,
    fixed: Collection[str] = (),
) -> list[Repair]:
    """Repairs for what can be fixed without a planner's judgement, in the order to apply.

    * ``make_valid`` for each invalid geometry (``method="structure"``: exterior rings say
      what is inside, holes what is not; collapsed parts are dropped).
    * ``snap`` for each child whose edges move by at most ``snap_tolerance_m``
      (:func:`geo.topology.snapping.snap_slivers`, children in code order): slivers outside
      the parent are cut off, a sliver of overlap stays with the lower code, a sliver of gap
      joins the bordering child with the longest shared edge, and the vertices of children with
      unmatched edges are snapped to their neighbours' and the parent's.

    Children whose code is in ``fixed`` (a draft's untouched areas) are never reshaped: the
    others are brought onto them as onto the parent, so a repair changes only what was edited.
    Wider overlaps, gaps and parts outside, duplicated codes (which child would it be?) and
    geometries that are not polygons are left to the planner. :func:`check_layout` stays the
    judge of the repaired layout.

    Returns
    -------
    list of Repair
        ``make_valid`` repairs, then ``snap`` repairs in code order; a child may have one of
        each, the second starting from the first's ``after``.
    """
    if parent is not None:
        require_parent(parent)
    repairs = []
    geoms = [u.geometry for u in children]
    for i, unit in enumerate(children):
        geom = unit.geometry
        if not _polygon(geom) or geom.is_valid:
            continue
        after = coverage.make_valid(geom)
        if not after.is_empty:
            geoms[i] = _like(after, geom)
            repairs.append(Repair(unit.code, "make_valid", geom, geoms[i], _valid_note(geom)))
    codes = [u.code for u in children]
    repeated = {code for code, n in Counter(codes).items() if n > 1}
    usable = [i for i, g in enumerate(geoms) if _polygon(g) and g.is_valid]
    take = sorted(usable, key=lambda i: codes[i])
    polygons = np.array([geoms[i] for i in take], dtype=object)
    still = np.array([codes[i] in fixed for i in take], dtype=bool)
    snapped, events = snap_slivers(polygons, parent, snap_tolerance_m, still)
    notes: dict[int, list[str]] = {}
    for k, what, area, other in events:
        note = _snap_note(what, area, codes[take[other]] if other >= 0 else "", snap_tolerance_m)
        if note not in notes.setdefault(k, []):
            notes[k].append(note)
    for k in sorted(notes):
        code, before, after = codes[take[k]], polygons[k], snapped[k]
        if code in repeated or after.is_empty or not after.is_valid:
            continue  # which child? or a repair that broke it: the gate keeps reporting why
        if not coverage.same_vertices(before, after):
            repairs.append(Repair(code, "snap", before, _like(after, before), "；".join(notes[k])))
    return repairs


def apply_repairs(children: Sequence[Unit], repairs: Sequence[Repair]) -> list[Unit]:
    """The layout with the accepted ``repairs`` applied, in their order.

    Raises
    ------
    InvalidInput
        When a repair's ``before`` is not the current geometry of a child with its code
        (the layout changed since the repairs were suggested, or an earlier repair of the
        same child was left out).
    """
    result = list(children)
    for repair in repairs:
        for i, unit in enumerate(result):
            if unit.code == repair.code and shapely.equals_exact(unit.geometry, repair.before, 0):
                result[i] = Unit(unit.code, unit.name, repair.after)
                break
        else:
            raise InvalidInput(
                "repairs",
                f"the {repair.action} repair of {repair.code} was suggested for another "
                "geometry of it: check the layout again",
            )
    return result


def _polygon(geom: BaseGeometry | None) -> bool:
    return geom is not None and geom.geom_type in POLYGONAL and not geom.is_empty


def _like(after: BaseGeometry, before: BaseGeometry) -> BaseGeometry:
    """``after`` with RFC 7946 ring orientation, a MultiPolygon when ``before`` was one."""
    after = shapely.orient_polygons(after)
    if before.geom_type == "MultiPolygon" and after.geom_type == "Polygon":
        return shapely.MultiPolygon([after])
    return after


def _valid_note(before: BaseGeometry) -> str:
    what = LOCATION.sub("", shapely.is_valid_reason(before))
    return (
        f"按结构重建无效几何（{REASONS_ZH.get(what, what)}） "
        f"(rebuilt with make_valid(method='structure'): {what})"
    )


def _snap_note(what: str, area: float, other: str, tolerance_m: float) -> str:
    text = area_text(area)
    return {
        "cut": f"裁掉超出上级的 {text} m² (cut off {text} m² outside the parent)",
        "yield": f"让出与 {other} 重叠的 {text} m² (leave the {text} m² overlap to {other})",
        "fill": f"并入 {text} m² 空隙 (take in a {text} m² gap)",
        "snap": f"顶点吸附到相邻区域和上级边界，容差 {tolerance_m:g} m "
        f"(vertices snapped to the neighbours' and the parent's within {tolerance_m:g} m)",
    }[what]
