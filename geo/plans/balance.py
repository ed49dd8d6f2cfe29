"""The draft side of the balanced split: which grids and micro-grids, their graph, the write.

:func:`draft_graph` reads the grids a suggestion names and the adjacency graph of their
micro-grids (shared boundaries of positive length, in metres); the loads come from the
registry and the incidents (:mod:`cases.redraw.balance`) and the partition itself is pure
(:mod:`geo.partition`). :func:`apply_split` writes a split the planner accepted: the first
part stays in the grid, each further part becomes a new grid of the same village drawn with
:func:`geo.plans.edits.add_area`; every grid's outline is the union of its micro-grids, so the
edges grids share match vertex for vertex and the topology check passes as it did before.

What can go wrong is refused before anything is written, naming the field: a ref that is not
a grid of the draft (``grid``/``grids``), grids that do not border one another, parts that do
not cover the grid's micro-grids exactly once or are not each one piece (``parts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import shapely
from sqlalchemy import Connection

from geo.errors import InvalidInput
from geo.models import AreaLevel
from geo.plans import edits
from geo.plans.sql import query
from geo.scope import Scope


@dataclass(frozen=True)
class DraftGrid:
    ref: str
    parent_ref: str
    name: str
    kind: str | None
    version: int


@dataclass
class DraftGraph:
    """The named grids (in the order given), the grid and village of each of their
    micro-grids, and the pairs of micro-grids sharing a boundary with its length in metres."""

    grids: list[DraftGrid]
    grid_of: dict[str, str] = field(default_factory=dict)
    village_of: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str, float]] = field(default_factory=list)

    def micro_grids(self, grid: str) -> list[str]:
        return sorted(m for m, g in self.grid_of.items() if g == grid)

    def graph(self) -> nx.Graph:
        """The micro-grids as nodes, the shared boundaries as edges (no loads)."""
        found = nx.Graph()
        found.add_nodes_from(sorted(self.grid_of))
        found.add_edges_from((a, b, {"length": m}) for a, b, m in self.edges)
        return found


def draft_grids(conn: Connection, plan_id: int, refs: Sequence[str], name: str) -> list[DraftGrid]:
    """The draft grids ``refs`` in that order; InvalidInput on ``name`` for a ref named twice,
    missing from the draft, or of another level."""
    if len(set(refs)) != len(refs):
        raise InvalidInput(name, "a grid is named twice")
    rows = {
        r.ref: r
        for r in conn.execute(query("balance_areas"), {"plan": plan_id, "refs": list(refs)})
    }
    for ref in refs:
        row = rows.get(ref)
        if row is None:
            raise InvalidInput(name, f"plan {plan_id} has no area {ref}")
        if row.level != AreaLevel.GRID.value:
            raise InvalidInput(name, f"{ref} is a {row.level}, not a grid")
    return [
        DraftGrid(r.ref, r.parent_ref, r.name, r.kind, r.version) for r in (rows[x] for x in refs)
    ]


def draft_graph(conn: Connection, plan_id: int, refs: Sequence[str], name: str) -> DraftGraph:
    """The grids ``refs`` of draft ``plan_id`` and their micro-grids' graph (see
    :class:`DraftGraph`); InvalidInput on ``name`` as :func:`draft_grids` says."""
    found = DraftGraph(draft_grids(conn, plan_id, refs, name))
    for row in conn.execute(query("balance_graph"), {"plan": plan_id, "grids": list(refs)}):
        found.grid_of[row.ref] = row.grid
        found.village_of[row.ref] = row.village
        if row.neighbour is not None and row.length_m > 0:
            found.edges.append((row.ref, row.neighbour, float(row.length_m)))
    return found


def require_bordering(found: DraftGraph, name: str) -> None:
    """Refuse grids that do not form one group of neighbours (through shared boundaries of
    their micro-grids), naming the first one cut off from the first grid."""
    borders = nx.Graph()
    borders.add_nodes_from(g.ref for g in found.grids)
    borders.add_edges_from(
        (found.grid_of[a], found.grid_of[b])
        for a, b, _ in found.edges
        if found.grid_of[a] != found.grid_of[b]
    )
    first = found.grids[0].ref
    reached = nx.node_connected_component(borders, first)
    apart = [g.ref for g in found.grids if g.ref not in reached]
    if apart:
        raise InvalidInput(
            name,
            f"{apart[0]} does not border {first} or the grids next to it: balance grids that "
            "share a boundary",
        )


def _require_partition(found: DraftGraph, grid: str, parts: Sequence[Sequence[str]]) -> None:
    """Refuse ``parts`` unless they hold each micro-grid of ``grid`` once and are each one
    piece."""
    own = set(found.micro_grids(grid))
    named = [ref for part in parts for ref in part]
    strays = sorted(set(named) - own)
    if strays:
        raise InvalidInput("parts", f"{strays[0]} is not a micro-grid of {grid}")
    twice = sorted({ref for ref in named if named.count(ref) > 1})
    if twice:
        raise InvalidInput("parts", f"{twice[0]} is in more than one part")
    left_out = sorted(own - set(named))
    if left_out:
        raise InvalidInput(
            "parts", f"{left_out[0]} of {grid} is in no part: name every micro-grid once"
        )
    graph = found.graph()
    for i, part in enumerate(parts, start=1):
        if not nx.is_connected(graph.subgraph(part)):
            raise InvalidInput("parts", f"part {i} is not one piece: its micro-grids must border")


def _union(conn: Connection, plan_id: int, refs: Sequence[str]) -> Any:
    wkb = conn.execute(query("balance_union"), {"plan": plan_id, "refs": list(refs)}).scalar_one()
    return shapely.from_wkb(bytes(wkb))


def apply_split(
    conn: Connection,
    plan_id: int,
    grid: str,
    parts: Sequence[Sequence[str]],
    *,
    scope: Scope,
    version: int | None = None,
) -> list[str]:
    """Split draft grid ``grid`` into ``parts`` (lists of its micro-grids' refs); returns the
    grids' refs, ``grid`` first (it keeps the first part).

    ``version``, when given, must still be the grid's (else VersionConflict); nothing is
    written unless every check passes.
    """
    edits.lock_draft(conn, plan_id, scope=scope)
    found = draft_graph(conn, plan_id, [grid], "grid")
    _require_partition(found, grid, parts)
    row = found.grids[0]
    outlines = [_union(conn, plan_id, part) for part in parts]
    edits.replace_geometry(
        conn, plan_id, grid, outlines[0], row.version if version is None else version, scope=scope
    )
    refs = [grid]
    for i, (part, outline) in enumerate(zip(parts[1:], outlines[1:], strict=True), start=2):
        ref = edits.add_area(
            conn,
            plan_id,
            scope=scope,
            parent_ref=row.parent_ref,
            name=f"{row.name}（拆分{i}）",
            geom=outline,
            level=AreaLevel.GRID,
            kind=row.kind,
        )
        conn.execute(query("move_children"), {"plan": plan_id, "refs": list(part), "to": ref})
        refs.append(ref)
    return refs
