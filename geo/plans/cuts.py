"""Cut a draft area in two along a line, snapping the line to the draft and, if asked, cutting
the children along it too.

A freehand line crossing a grid leaves micro-grids straddling it and puts vertices on shared
edges that the neighbours lack: the topology check then reports problems the planner did not
mean to make. So, before cutting:

* The line is snapped (``shapely.snap``) to the vertices of every draft area within ``snap_m``
  metres of it: a vertex of the line that close moves onto the existing vertex, and a segment
  that close is bent through it.
* Every point where the line crosses the edge of an area it cuts is added, the same
  coordinates, to the line and to each area having that edge, so the pieces on both sides of
  an edge, and of the line, carry the same vertices.

With ``cut_children`` the areas under the cut one are divided along the same line: the piece
on the side the cut area keeps keeps its ref, the other becomes a new area under the other side;
areas wholly on the other side move there. The parents are then rebuilt as the unions of their
children, so their edges along the line carry the children's vertices. Without it, the children
go to the piece they overlap most, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from geo.errors import InvalidInput
from geo.models import AreaLevel
from geo.plans.sql import query
from geo.topology.coverage import degrees

#: Snapping the crossings onto the line and the edges: far below the 1 cm of 7 decimals.
_EPS = 1e-10
#: Pieces smaller than this (square degrees, ~1 mm²) are artefacts of noding, not pieces.
_CRUMB = 1e-16


@dataclass(frozen=True)
class Piece:
    """An area of the cut subtree and its two sides (either may be None)."""

    row: Any
    keep: BaseGeometry | None
    other: BaseGeometry | None


def snapped_line(conn: Connection, plan_id: int, line: BaseGeometry, snap_m: float) -> Any:
    """``line`` snapped to the vertices of the draft areas within ``snap_m`` metres of it."""
    if snap_m <= 0:
        return line
    tolerance = degrees(snap_m)
    rows = conn.execute(
        query("near_line"),
        {"plan": plan_id, "line": shapely.to_wkb(line), "tolerance": tolerance},
    ).all()
    if not rows:
        return line
    vertices = shapely.multipoints(
        shapely.get_coordinates(shapely.from_wkb([bytes(r.wkb) for r in rows]))
    )
    return shapely.snap(line, vertices, tolerance)


def subtree(conn: Connection, plan_id: int, ref: str, children: bool) -> list[Any]:
    """The area ``ref`` (and, with ``children``, every area under it), coarsest first."""
    rows = conn.execute(query("subtree"), {"plan": plan_id, "ref": ref}).all()
    return list(rows) if children else list(rows[:1])


def divide(rows: list[Any], line: BaseGeometry, ref: str) -> list[Piece]:
    """Each area of ``rows`` split by ``line`` into the side ``ref``'s larger piece lies on
    and the other; refused unless ``ref`` itself falls in exactly two pieces."""
    shapes = shapely.from_wkb([bytes(r.wkb) for r in rows])
    crossings = shapely.intersection(line, shapely.union_all(shapely.boundary(shapes)))
    points = shapely.multipoints(shapely.get_coordinates(crossings))
    blade = shapely.snap(line, points, _EPS) if not points.is_empty else line
    parts = [_split(shapely.snap(s, points, _EPS), blade) for s in shapes]
    top = parts[0]
    if len(top) != 2:
        raise InvalidInput(
            "line",
            f"cuts {ref} into {len(top)} piece(s); draw one line that crosses it once, "
            "starting and ending outside it",
        )
    side = max(top, key=lambda p: p.area).buffer(1e-8)  # ~1 mm: the pieces along it are inside
    shapely.prepare(side)
    pieces = []
    for row, split in zip(rows, parts, strict=True):
        kept = [p for p in split if side.contains(p.point_on_surface())]
        other = [p for p in split if not side.contains(p.point_on_surface())]
        pieces.append(Piece(row, _union(kept), _union(other)))
    return pieces


def _split(shape: BaseGeometry, blade: BaseGeometry) -> list[BaseGeometry]:
    found = shapely.ops.split(shape, blade)
    return [p for p in shapely.get_parts(found) if p.area > _CRUMB]


def _union(parts: list[BaseGeometry]) -> BaseGeometry | None:
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def write(
    conn: Connection,
    plan_id: int,
    pieces: list[Piece],
    new_ref: Any,
    name: str | None,
) -> tuple[str, list[str]]:
    """Write the sides of ``pieces`` (coarsest first): the kept side stays, the other side of an
    area split in two becomes the area ``new_ref()``, an area wholly on the other side moves
    under its parent's other side. Returns the top area's new ref and the parents to rebuild."""
    other_ref: dict[str, str] = {}
    rebuild = []
    for i, piece in enumerate(pieces):
        row = piece.row
        parent = other_ref.get(row.parent_ref, row.parent_ref)
        if piece.keep is not None and piece.other is not None:
            conn.execute(
                query("piece_update"),
                {"id": row.id, "wkb": _wkb(piece.keep), "parent": row.parent_ref},
            )
            other_ref[row.ref] = new_ref()
            conn.execute(
                query("piece_insert"),
                {
                    "plan": plan_id,
                    "ref": other_ref[row.ref],
                    "name": (name if i == 0 and name else None) or f"{row.name}（拆分）",
                    "level": row.level,
                    "kind": row.kind,
                    "parent": parent,
                    "wkb": _wkb(piece.other),
                },
            )
            if AreaLevel(row.level) is not AreaLevel.MICRO_GRID and i > 0:
                rebuild += [row.ref, other_ref[row.ref]]
        elif piece.keep is None and parent != row.parent_ref:
            conn.execute(
                query("piece_update"), {"id": row.id, "wkb": _wkb(piece.other), "parent": parent}
            )
    top = pieces[0].row.ref
    if len(pieces) > 1:
        rebuild = [*rebuild[::-1], top, other_ref[top]]
    return other_ref[top], rebuild


def _wkb(geom: BaseGeometry | None) -> bytes:
    assert geom is not None
    return bytes(shapely.to_wkb(geom))
