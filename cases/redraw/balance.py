"""The balanced-split suggestion (#17): even out the load of grids by regrouping micro-grids.

A load is ``households`` (the registry's), ``population`` (its persons) or ``cases_year``
(incidents reported in the last 365 days) per draft micro-grid
(``cases/redraw/sql/micro_grid_loads.sql``); the draft's grids and the adjacency of their
micro-grids come from :mod:`geo.plans.balance`; the partition is :mod:`geo.partition`.

- :func:`suggest_balance` moves boundary micro-grids between two or more bordering grids
  (a micro-grid changes grid only inside its village: a move across a village line would
  redraw the villages, which is the level above);
- :func:`suggest_split` cuts one grid into ``k`` connected, compact parts of even load.

Both write nothing and answer the same for the same draft: the page shows the suggestion
and applies the moves the planner keeps through ``POST …/move``, or the split through
``POST …/apply-split`` (:func:`geo.plans.balance.apply_split`).

Examples
--------
>>> _moves({"m1": "g1", "m2": "g1", "m3": "g2"}, {"m1": "g1", "m2": "g2", "m3": "g2"})
[{'ref': 'm2', 'from': 'g1', 'to': 'g2'}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import Connection

from cases.redraw.sql import query
from geo.errors import InvalidInput
from geo.partition import adjacency, rebalance, split, spread
from geo.plans.balance import DraftGraph, draft_graph, require_bordering
from geo.plans.drafts import get_plan
from geo.scope import Scope

Measure = Literal["households", "population", "cases_year"]
MEASURES: tuple[str, ...] = ("households", "population", "cases_year")
#: Parts a grid may be split into.
MIN_PARTS, MAX_PARTS = 2, 6


def micro_grid_loads(
    conn: Connection, plan_id: int, refs: Sequence[str], measure: str
) -> dict[str, int]:
    """The load of each draft micro-grid ``refs`` by ``measure`` (see the module doc)."""
    if measure not in MEASURES:
        raise InvalidInput("measure", f"unknown measure {measure!r}; one of {', '.join(MEASURES)}")
    conn.execute(query("jit_off"))
    rows = conn.execute(
        query("micro_grid_loads"), {"plan": plan_id, "refs": list(refs), "measure": measure}
    )
    return {r.ref: int(r.load) for r in rows}


def _graph(conn: Connection, plan_id: int, found: DraftGraph, measure: str) -> Any:
    loads = micro_grid_loads(conn, plan_id, sorted(found.grid_of), measure)
    return adjacency(loads, found.edges)


def _loads_by_grid(graph: Any, grid_of: Mapping[str, str], grids: Sequence[str]) -> dict[str, int]:
    totals = dict.fromkeys(grids, 0)
    for ref, grid in grid_of.items():
        totals[grid] += int(graph.nodes[ref]["load"])
    return totals


def _moves(before: Mapping[str, str], after: Mapping[str, str]) -> list[dict[str, str]]:
    return [
        {"ref": ref, "from": before[ref], "to": after[ref]}
        for ref in sorted(before)
        if before[ref] != after[ref]
    ]


def suggest_balance(
    conn: Connection, plan_id: int, grids: Sequence[str], measure: str, *, scope: Scope
) -> dict[str, Any]:
    """Micro-grids to move between the bordering draft grids ``grids`` (at least two) so
    that their loads are even, each grid staying one piece; only micro-grids on a boundary
    between two of them move. Writes nothing."""
    get_plan(conn, plan_id, scope=scope)
    if len(grids) < 2:
        raise InvalidInput("grids", "name at least two grids to balance")
    found = draft_graph(conn, plan_id, grids, "grids")
    require_bordering(found, "grids")
    graph = _graph(conn, plan_id, found, measure)
    order = [g.ref for g in found.grids]
    village = {g.ref: g.parent_ref for g in found.grids}
    boundary = {
        a
        for x, y, _ in found.edges
        for a, b in ((x, y), (y, x))
        if found.grid_of[a] != found.grid_of[b]
        and village[found.grid_of[a]] == village[found.grid_of[b]]
    }
    result = rebalance(
        graph,
        [found.micro_grids(g) for g in order],
        movable=boundary,
        groups=[village[g] for g in order],
    )
    after = {ref: order[i] for i, part in enumerate(result.parts) for ref in part}
    before = _loads_by_grid(graph, found.grid_of, order)
    return {
        "moves": _moves(found.grid_of, after),
        "loads_before": before,
        "loads_after": _loads_by_grid(graph, after, order),
        "spread_before": round(spread(list(before.values())), 4),
        "spread_after": round(result.spread, 4),
    }


def suggest_split(
    conn: Connection, plan_id: int, grid: str, parts: int, measure: str, *, scope: Scope
) -> dict[str, Any]:
    """Draft grid ``grid`` cut into ``parts`` connected, compact parts of even load (each a
    list of micro-grid refs, the part holding the smallest ref first). Writes nothing."""
    get_plan(conn, plan_id, scope=scope)
    if not MIN_PARTS <= parts <= MAX_PARTS:
        raise InvalidInput("parts", f"must be from {MIN_PARTS} to {MAX_PARTS}, got {parts}")
    found = draft_graph(conn, plan_id, [grid], "grid")
    held = len(found.grid_of)
    if parts > held:
        raise InvalidInput("parts", f"{grid} holds {held} micro-grid(s): at most {held} parts")
    graph = _graph(conn, plan_id, found, measure)
    try:
        result = split(graph, parts)
    except ValueError:
        raise InvalidInput(
            "grid", f"the micro-grids of {grid} are not one piece: repair the draft first"
        ) from None
    return {
        "parts": [
            {"micro_grids": list(part), "load": int(load)}
            for part, load in zip(result.parts, result.loads, strict=True)
        ],
        "spread": round(result.spread, 4),
    }
