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
Problems*, in *Location Science*, Springer 2019): ``k`` far-apart seeds (farthest-point in
hops), each part grown in turn, the lightest first, by the unclaimed neighbour nearest its seed.
:func:`rebalance` then improves a partition by local search (Ricca & Simeone, *Local search
algorithms for political districting*, EJOR 2008): a node on a part's edge goes to the
neighbouring part, or two nodes on either side of an edge between parts trade places, when
that lowers the objective while every part stays in as few pieces as it was (counted by a
breadth-first walk over what is left). The objective is compared in order: the spread, no
lower than :data:`EVEN_ENOUGH` (5 %: below it loads are even enough and only compactness
counts), the sum of squared loads while the spread is above it, then the cut. The best change
is taken each round until none helps. :func:`split` runs this from several first seeds (the
most peripheral nodes) and keeps the best result.

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

#: A spread this small is even enough: below it, only compactness (a shorter cut) counts.
#: Households change by more than 5 % between two registry updates.
EVEN_ENOUGH = 0.05
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
    """What the search lowers, compared in order: the spread, but no lower than
    :data:`EVEN_ENOUGH`; while above it, the sum of squared loads; then the cut."""
    above = spread(loads) > EVEN_ENOUGH
    squares = sum(x * x for x in loads) if above else 0.0
    return round(max(spread(loads), EVEN_ENOUGH), 9), round(squares, 6), round(cut, 3)


def _score(partition: Partition) -> tuple[float, float, float]:
    return _objective(partition.loads, partition.cut_m)


Change = tuple[tuple[str, int], ...]
"""Nodes and the part each goes to: one pair for a move, two for a swap."""


class _Search:
    """A partition under local search: parts, their loads, pieces and the cut, kept current."""

    def __init__(
        self,
        graph: nx.Graph,
        assign: Mapping[str, int],
        k: int,
        movable: set[str],
        groups: Sequence[Hashable] | None,
    ) -> None:
        self.graph, self.k, self.movable, self.groups = graph, k, movable, groups
        self.assign = dict(assign)
        self.adj = {node: set(graph[node]) for node in graph}
        self.members: list[set[str]] = [set() for _ in range(k)]
        for node, part in self.assign.items():
            self.members[part].add(node)
        self.loads = [sum(graph.nodes[n]["load"] for n in m) for m in self.members]
        self.pieces = [self._pieces(m) for m in self.members]
        self.cut = _cut(graph, self.assign)

    def _pieces(self, nodes: set[str]) -> int:
        """Connected pieces of ``nodes`` (a breadth-first walk: networkx's subgraph views cost
        ten times more on parts of a dozen nodes)."""
        left, pieces = set(nodes), 0
        while left:
            pieces += 1
            frontier = [left.pop()]
            while frontier:
                here = frontier.pop()
                near = self.adj[here] & left
                left -= near
                frontier.extend(near)
        return pieces

    def objective(self) -> tuple[float, float, float]:
        return _objective(self.loads, self.cut)

    def _targets(self, node: str) -> list[int]:
        """The parts ``node`` may go to: bordering it, and in its part's group."""
        here = self.assign[node]
        near = sorted({self.assign[o] for o in self.graph[node]} - {here})
        return [p for p in near if self.groups is None or self.groups[p] == self.groups[here]]

    def moves(self) -> list[Change]:
        return [((n, p),) for n in sorted(self.movable) for p in self._targets(n)]

    def swaps(self) -> list[Change]:
        """Pairs of boundary nodes of two parts trading places (balance and compactness in
        finer steps than a move)."""
        edge: dict[tuple[int, int], list[str]] = {}
        for node in sorted(self.movable):
            for there in self._targets(node):
                edge.setdefault((self.assign[node], there), []).append(node)
        return [
            ((u, j), (v, i))
            for (i, j), ours in sorted(edge.items())
            if i < j
            for u in ours
            for v in edge.get((j, i), [])
        ]

    def score(self, change: Change) -> tuple[float, float, float]:
        """The objective after ``change`` (whether it keeps the parts whole aside)."""
        to = dict(change)
        loads = list(self.loads)
        for node, there in change:
            weight = self.graph.nodes[node]["load"]
            loads[self.assign[node]] -= weight
            loads[there] += weight
        delta, seen = 0.0, set()
        for node in to:
            for other, data in self.graph[node].items():
                if (other, node) in seen:
                    continue
                seen.add((node, other))
                before = self.assign[node] != self.assign[other]
                after = to.get(node, self.assign[node]) != to.get(other, self.assign[other])
                delta += data["length"] * (int(after) - int(before))
        return _objective(loads, self.cut + delta)

    def keeps_parts(self, change: Change) -> bool:
        """Whether every part ``change`` touches stays non-empty and in as many pieces."""
        touched: dict[int, set[str]] = {}
        for node, there in change:
            here = self.assign[node]
            for part in (here, there):
                touched.setdefault(part, set(self.members[part]))
            touched[here].discard(node)
            touched[there].add(node)
        return all(
            nodes and self._pieces(nodes) <= self.pieces[part] for part, nodes in touched.items()
        )

    def apply(self, change: Change) -> None:
        touched = {p for node, there in change for p in (there, self.assign[node])}
        for node, there in change:
            here = self.assign[node]
            weight = self.graph.nodes[node]["load"]
            self.members[here].discard(node)
            self.members[there].add(node)
            self.loads[here] -= weight
            self.loads[there] += weight
            self.assign[node] = there
        for part in touched:
            self.pieces[part] = self._pieces(self.members[part])
        self.cut = _cut(self.graph, self.assign)

    def best(self, changes: list[Change]) -> tuple[tuple[float, float, float], Change] | None:
        """The change lowering the objective most (the first such in order), or None."""
        current, found = self.objective(), None
        for change in changes:
            score = self.score(change)
            better = score < current and (found is None or score < found[0])
            if better and self.keeps_parts(change):  # the dear check last
                found = (score, change)
        return found


def _improve(
    graph: nx.Graph,
    assign: Mapping[str, int],
    k: int,
    movable: set[str],
    groups: Sequence[Hashable] | None,
) -> dict[str, int]:
    """Boundary moves, else swaps, best first, while one lowers the objective (see the
    module doc)."""
    search = _Search(graph, assign, k, movable, groups)
    for _ in range(ROUNDS_PER_NODE * max(len(graph), 1)):
        found = search.best(search.moves()) or search.best(search.swaps())
        if found is None:
            break
        search.apply(found[1])
    return search.assign


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
