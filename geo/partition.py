"""Even, connected, compact parts of an adjacency graph: the balanced-split suggestion's core.

The graph's nodes are areas (micro-grids, by ref) carrying a ``load`` (households, persons,
cases); an edge joins two areas that share a boundary of positive length and carries that
``length`` in metres. A *part* is a set of nodes; a partition is good when

1. every part is connected in the graph (a grid is one piece, never two islands),
2. the loads are even: the **spread** ``(max - min) / mean`` of the parts' loads is small,
3. the parts are compact: the **cut**, the total length of the edges between different
   parts, is short (the parts' total boundary is the areas' total perimeter, a constant,
   less twice the length shared inside parts, so a shorter cut is a shorter boundary).

:func:`split` cuts a connected graph into ``k`` parts by seeded region growing (the
"seed-and-grow" step of districting heuristics; Kalcsics & Ríos-Mercado, *Districting
Problems*, in Location Science, 2019, §3): ``k`` far-apart seeds (farthest-point in hops),
each part grown in turn, the lightest first, by the unclaimed neighbour nearest its seed.
:func:`rebalance` then improves a partition by boundary moves (the local search of the same
chapter; Ricca & Simeone 2008): a node on a part's edge goes to the neighbouring part when that
lowers the objective ``(spread, sum of squared loads, cut)``, compared in that order, while the
part it leaves stays as connected as it was (:func:`networkx.is_connected` on what is left).
The best move is taken each round until none helps. :func:`split` runs this from several
first seeds (the most peripheral nodes) and keeps the best result.

Everything is deterministic: nodes are visited in sorted order, ties go to the smallest node
and part, and no random numbers are drawn, so the same graph always gives the same parts.

Examples
--------
A strip of six areas, the last two heavy:

>>> g = adjacency({"a": 1, "b": 1, "c": 1, "d": 1, "e": 3, "f": 3},
...               [("a", "b", 10), ("b", "c", 10), ("c", "d", 10), ("d", "e", 10),
...                ("e", "f", 10)])
>>> p = split(g, 2)
>>> p.parts, p.loads, p.spread
((('a', 'b', 'c', 'd'), ('e', 'f')), (4.0, 6.0), 0.4)

Starting from a lopsided layout, only ``e`` may move:

>>> rebalance(g, [["a", "b", "c", "d", "e"], ["f"]], movable=["e"]).loads
(4.0, 6.0)
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

#: How many first seeds :func:`split` tries (the most peripheral nodes).
FIRST_SEEDS = 8
#: Rounds of boundary moves per node at most (a guard: each round strictly improves).
ROUNDS_PER_NODE = 20


def spread(loads: Sequence[float]) -> float:
    """``(max - min) / mean`` of ``loads``; 0 when there is no load at all.

    Examples
    --------
    >>> spread([300, 500]), spread([0, 0]), spread([404, 404])
    (0.5, 0.0, 0.0)
    """
    total = sum(loads)
    if not loads or total == 0:
        return 0.0
    return (max(loads) - min(loads)) / (total / len(loads))


def adjacency(loads: Mapping[str, float], edges: Iterable[tuple[str, str, float]]) -> nx.Graph:
    """The graph :func:`split` and :func:`rebalance` take: a node per area with its ``load``,
    an edge per pair sharing a boundary, with its ``length`` (pairs with no length are left
    out: touching at a point does not make neighbours).

    Examples
    --------
    >>> g = adjacency({"a": 2, "b": 3, "c": 0}, [("a", "b", 12.5), ("b", "c", 0.0)])
    >>> sorted(g.edges(data="length")), g.nodes["b"]["load"]
    ([('a', 'b', 12.5)], 3.0)
    """
    graph = nx.Graph()
    for node in sorted(loads):
        graph.add_node(node, load=float(loads[node]))
    for a, b, length in edges:
        if length > 0 and a in loads and b in loads and a != b:
            graph.add_edge(a, b, length=float(length))
    return graph


@dataclass(frozen=True)
class Partition:
    """Parts (each a sorted tuple of nodes), their loads, the spread and the cut in metres."""

    parts: tuple[tuple[str, ...], ...]
    loads: tuple[float, ...]
    spread: float
    cut_m: float


def split(graph: nx.Graph, k: int) -> Partition:
    """``graph`` (connected) cut into ``k`` connected parts of even load (see the module doc);
    the parts are ordered by their smallest node.

    Raises
    ------
    ValueError
        When ``k`` is not between 1 and the number of nodes, or the graph is not connected.
    """
    nodes = sorted(graph)
    if not 1 <= k <= len(nodes):
        raise ValueError(f"cannot cut {len(nodes)} areas into {k} parts")
    if not nx.is_connected(graph):
        raise ValueError("the areas do not form one connected piece")
    hops = dict(nx.all_pairs_shortest_path_length(graph))
    peripheral = sorted(nodes, key=lambda n: (-max(hops[n].values()), n))
    best: Partition | None = None
    for first in peripheral[:FIRST_SEEDS]:
        seeds = _far_apart(hops, nodes, first, k)
        grown = _grow(graph, hops, seeds)
        improved = _improve(graph, grown, k, movable=set(nodes), groups=None)
        found = _ordered(graph, improved, k)
        if best is None or _score(found) < _score(best):
            best = found
    assert best is not None
    return best


def rebalance(
    graph: nx.Graph,
    parts: Sequence[Collection[str]],
    *,
    movable: Collection[str] | None = None,
    groups: Sequence[Hashable] | None = None,
) -> Partition:
    """``parts`` (covering ``graph``'s nodes) made more even by boundary moves; the parts
    keep their order.

    Parameters
    ----------
    movable
        The nodes that may change part (default: all).
    groups
        One label per part: a node moves only between parts of the same label (the village
        of each grid, so that no move crosses a village line).
    """
    assign = {node: i for i, part in enumerate(parts) for node in part}
    missing = sorted(set(graph) - set(assign))
    if missing:
        raise ValueError(f"areas in no part: {', '.join(missing[:5])}")
    allowed = set(graph) if movable is None else set(movable)
    return _partition(graph, _improve(graph, assign, len(parts), allowed, groups), len(parts))


def _far_apart(
    hops: Mapping[str, Mapping[str, int]], nodes: list[str], first: str, k: int
) -> list[str]:
    """``k`` seeds: ``first``, then each time the node farthest (in hops) from those chosen."""
    seeds = [first]
    while len(seeds) < k:
        rest = [n for n in nodes if n not in seeds]
        seeds.append(min(rest, key=lambda n: (-min(hops[s][n] for s in seeds), n)))
    return seeds


def _grow(
    graph: nx.Graph, hops: Mapping[str, Mapping[str, int]], seeds: list[str]
) -> dict[str, int]:
    """Grow a part from each seed: the lightest part that can still grow takes its unclaimed
    neighbour nearest its seed (then sharing the most boundary with it, then the smallest)."""
    assign = {seed: i for i, seed in enumerate(seeds)}
    loads = [graph.nodes[s]["load"] for s in seeds]
    while len(assign) < len(graph):
        options = []
        for i, seed in enumerate(seeds):
            shared: dict[str, float] = {}
            for node, part in assign.items():
                if part != i:
                    continue
                for other, data in graph[node].items():
                    if other not in assign:
                        shared[other] = shared.get(other, 0.0) + data["length"]
            if shared:
                pick = min(shared, key=lambda n: (hops[seed][n], -shared[n], n))
                options.append((loads[i], i, pick))
        _, i, pick = min(options)
        assign[pick] = i
        loads[i] += graph.nodes[pick]["load"]
    return assign


def _cut(graph: nx.Graph, assign: Mapping[str, int]) -> float:
    return sum(d["length"] for a, b, d in graph.edges(data=True) if assign[a] != assign[b])


def _objective(loads: Sequence[float], cut: float) -> tuple[float, float, float]:
    return round(spread(loads), 9), round(sum(x * x for x in loads), 6), round(cut, 3)


def _score(partition: Partition) -> tuple[float, float, float]:
    return _objective(partition.loads, partition.cut_m)


def _improve(
    graph: nx.Graph,
    assign: dict[str, int],
    k: int,
    movable: set[str],
    groups: Sequence[Hashable] | None,
) -> dict[str, int]:
    """Boundary moves, best first, while one lowers the objective (see the module doc)."""
    assign = dict(assign)
    members: list[set[str]] = [set() for _ in range(k)]
    for node, part in assign.items():
        members[part].add(node)
    loads = [sum(graph.nodes[n]["load"] for n in m) for m in members]
    pieces = [nx.number_connected_components(graph.subgraph(m)) if m else 0 for m in members]
    cut = _cut(graph, assign)
    for _ in range(ROUNDS_PER_NODE * max(len(graph), 1)):
        current = _objective(loads, cut)
        best: tuple[tuple[float, float, float], str, int] | None = None
        for node in sorted(movable):
            here = assign[node]
            weight = graph.nodes[node]["load"]
            shared = [0.0] * k
            for other, data in graph[node].items():
                shared[assign[other]] += data["length"]
            targets = [
                p
                for p in range(k)
                if p != here and shared[p] > 0 and (groups is None or groups[p] == groups[here])
            ]
            if not targets or len(members[here]) == 1:
                continue
            left = members[here] - {node}
            if nx.number_connected_components(graph.subgraph(left)) > pieces[here]:
                continue
            for there in targets:
                after = list(loads)
                after[here] -= weight
                after[there] += weight
                score = _objective(after, cut + shared[here] - shared[there])
                if score < current and (best is None or score < best[0]):
                    best = (score, node, there)
        if best is None:
            break
        _, node, there = best
        here = assign[node]
        weight = graph.nodes[node]["load"]
        cut += sum(
            d["length"] * ((assign[o] == here) - (assign[o] == there))
            for o, d in graph[node].items()
        )
        members[here].discard(node)
        members[there].add(node)
        loads[here] -= weight
        loads[there] += weight
        assign[node] = there
        pieces[there] = nx.number_connected_components(graph.subgraph(members[there]))
        pieces[here] = nx.number_connected_components(graph.subgraph(members[here]))
    return assign


def _partition(graph: nx.Graph, assign: Mapping[str, int], k: int) -> Partition:
    parts = tuple(tuple(sorted(n for n, p in assign.items() if p == i)) for i in range(k))
    loads = tuple(float(sum(graph.nodes[n]["load"] for n in part)) for part in parts)
    return Partition(parts, loads, round(spread(loads), 6), round(_cut(graph, assign), 3))


def _ordered(graph: nx.Graph, assign: Mapping[str, int], k: int) -> Partition:
    """The partition with its parts ordered by their smallest node."""
    found = _partition(graph, assign, k)
    order = sorted(range(k), key=lambda i: found.parts[i])
    renumber = {old: new for new, old in enumerate(order)}
    return _partition(graph, {n: renumber[p] for n, p in assign.items()}, k)
