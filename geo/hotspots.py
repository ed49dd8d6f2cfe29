"""Getis-Ord Gi* hot and cold spots of incident counts per micro-grid (PySAL ``esda``).

Settings, fixed so that a result can be reproduced:

- **Weights**: Queen contiguity of the generation's micro-grids (sharing an edge or a corner),
  built with exact predicates (``libpysal.graph.Graph.build_contiguity(strict=True)``), once per
  generation and kept in this process.
- **Binary**, with the focal micro-grid's own weight 1 (``transform="B", star=True``): Gi* is
  then the share of all incidents that fall in a micro-grid and its neighbours, the statistic
  of Getis and Ord. Row standardisation buys nothing here: Gi*'s expectation and variance
  already account for each micro-grid's number of neighbours, and esda's analytic moments
  assume binary weights (with ``"R"`` they treat every row as having one neighbour, and the
  self-weight has to be guessed).
- **999 permutations** with the seed :data:`SEED` (conditional randomisation). ``gi_z`` is
  esda's ``Zs``; ``p_sim`` is the one-sided pseudo p-value in the direction of ``gi_z`` with
  ties counted against significance (:func:`pseudo_p`, which explains why not esda's own).

The analysis runs over the micro-grids inside the caller's :class:`~geo.scope.Scope` and the
incidents inside it (:func:`geo.heat.counts_and_outlines`): a township officer's hot spots are
those of their township, with the contiguity of its micro-grids only.

A micro-grid is a hot spot at 99 % / 95 % / 90 % when ``gi_z > 0`` and ``p_sim`` is at most
0.01 / 0.05 / 0.10, a cold spot likewise with ``gi_z < 0``, and not significant otherwise.

The response is written by columns and kept per counts as the heat map's is
(:mod:`geo.heat_body`): Gi* with a fixed seed is a function of the counts and the weights, so
a repeat request with the same counts (a wall screen refreshing) skips esda.

esda's permutation kernels are compiled by numba on first use (~15 s); :func:`warm_up` runs a
tiny Gi* once so that the service can pay that at start-up, in a background thread.

Examples
--------
>>> classify(np.array([3.1, 2.0, 0.4, -2.5]), np.array([0.001, 0.04, 0.3, 0.08]))
['hot_99', 'hot_95', 'not_significant', 'cold_90']
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from sqlalchemy import Connection

from geo.geojson import dumps
from geo.heat import BODIES, HeatFilter, Outlines, counts_and_outlines
from geo.heat_body import collection_bytes, digest, numbers, tails
from geo.scope import WHOLE_BANNER, Scope
from geo.sql import query

if TYPE_CHECKING:
    from esda.getisord import G_Local
    from libpysal.graph import Graph

log = logging.getLogger(__name__)

PERMUTATIONS = 999
SEED = 150621
#: (key, label, largest p_sim), strongest first within each side.
HOT = [
    ("hot_99", "热点 99%置信", 0.01),
    ("hot_95", "热点 95%置信", 0.05),
    ("hot_90", "热点 90%置信", 0.10),
]
COLD = [
    ("cold_99", "冷点 99%置信", 0.01),
    ("cold_95", "冷点 95%置信", 0.05),
    ("cold_90", "冷点 90%置信", 0.10),
]
NOT_SIGNIFICANT = ("not_significant", "不显著")
LABELS = {key: label for key, label, _ in HOT + COLD} | {NOT_SIGNIFICANT[0]: NOT_SIGNIFICANT[1]}
#: The class keys in :data:`LABELS`' order; :func:`class_index` answers positions in it.
KEYS = list(LABELS)


@dataclass(frozen=True)
class Contiguity:
    """Queen contiguity of one generation's micro-grids; ``codes`` in the graph's order."""

    generation: int
    codes: tuple[str, ...]
    graph: Graph


_graphs: dict[tuple[str, int, str | None], Contiguity] = {}
_graphs_lock = threading.Lock()


def build_contiguity(codes: list[str], wkb: list[bytes], generation: int) -> Contiguity:
    """Queen contiguity (binary, no self-weights) of the polygons ``wkb`` named ``codes``."""
    import geopandas as gpd
    from libpysal.graph import Graph

    outlines = gpd.GeoSeries(shapely.from_wkb(wkb), index=codes)
    graph = Graph.build_contiguity(outlines, rook=False, strict=True)
    return Contiguity(generation, tuple(codes), graph)


def contiguity(
    conn: Connection, generation: int, codes: list[str], *, scope: Scope = WHOLE_BANNER
) -> Contiguity:
    """The Queen contiguity of ``generation``'s micro-grids ``codes`` (those inside ``scope``),
    built once and kept.

    A published generation never changes, so the graph is kept for the life of the process
    (one per database, generation and scope prefix). It is rebuilt when the generation's live
    micro-grids are not the ``codes`` it was built from (a draft generation being edited).
    """
    url = conn.engine.url.render_as_string(hide_password=True)
    key = (url, generation, scope.area_prefix)
    with _graphs_lock:
        known = _graphs.get(key)
        if known is not None and list(known.codes) == codes:
            return known
        started = time.perf_counter()
        rows = conn.execute(query("micro_grid_outlines"), {"g": generation, **scope.params()}).all()
        built = build_contiguity([r.code for r in rows], [bytes(r.wkb) for r in rows], generation)
        if list(built.codes) != codes:
            raise RuntimeError(f"the micro-grids of generation {generation} changed while read")
        _graphs[key] = built
    log.info(
        "built Queen contiguity of %d micro-grids (generation %d) in %.2f s",
        len(codes),
        generation,
        time.perf_counter() - started,
    )
    return built


def gi_star(counts: np.ndarray, graph: Graph) -> G_Local:
    """esda's Gi* of ``counts`` (in the graph's order) with this module's settings.

    The permutations are kept (``rGs``) for :func:`pseudo_p`.
    """
    from esda.getisord import G_Local

    return G_Local(
        np.asarray(counts, dtype=np.float64),
        graph,
        transform="B",
        star=True,
        permutations=PERMUTATIONS,
        seed=SEED,
        n_jobs=1,
        keep_simulations=True,
    )


def pseudo_p(result: G_Local) -> np.ndarray:
    """One-sided pseudo p-values in the direction of each z-score, ties counted against.

    ``(1 + #{simulated G* >= observed}) / (1 + permutations)`` where ``gi_z > 0`` (esda's
    ``"greater"`` alternative) and with ``<=`` where ``gi_z <= 0`` (``"lesser"``). esda 2.9's own
    ``G_Local.p_sim`` uses the ``"directed"`` alternative, which counts ties on the high side
    only: with counts that are mostly zero, every micro-grid with no incident in its
    neighbourhood ties with most permutations and gets the smallest possible p (0.001), so
    half the banner became a 99 % cold spot. For ``gi_z > 0`` the two agree wherever the
    observed value lies in the upper half of its permutations.
    """
    from esda.significance import calculate_significance

    z = np.asarray(result.Zs)
    greater = calculate_significance(result.Gs, result.rGs, alternative="greater")
    lesser = calculate_significance(result.Gs, result.rGs, alternative="lesser")
    return np.where(z > 0, greater, lesser)


def class_index(z: np.ndarray, p_sim: np.ndarray) -> np.ndarray:
    """The class of every micro-grid from its Gi* z-score and pseudo p-value, as positions
    in :data:`KEYS`."""
    z = np.asarray(z, dtype=np.float64)
    p_sim = np.asarray(p_sim, dtype=np.float64)
    found = np.full(z.shape, KEYS.index(NOT_SIGNIFICANT[0]))
    known = np.isfinite(z) & np.isfinite(p_sim)
    for side, levels in ((z > 0, HOT), (z < 0, COLD)):
        for name, _, level in reversed(levels):  # the strongest class written last wins
            found[known & side & (p_sim <= level)] = KEYS.index(name)
    return found


def classify(z: np.ndarray, p_sim: np.ndarray) -> list[str]:
    """The class key of every micro-grid from its Gi* z-score and pseudo p-value."""
    return [KEYS[i] for i in class_index(z, p_sim).tolist()]


#: Each class's ``class`` and ``label`` properties as JSON members, in :data:`KEYS` order.
_CLASS_JSON = np.array(
    [
        f'"class":{json.dumps(key)},"label":{json.dumps(label, ensure_ascii=False)}'
        for key, label in LABELS.items()
    ]
)


def hotspots(
    conn: Connection,
    where: HeatFilter,
    *,
    generation: int,
    scope: Scope,
    simplify_m: float = 0.0,
    k: int = 0,
) -> bytes:
    """Micro-grids with ``count``, ``neighbour_count``, ``gi_z``, ``p_sim``, ``class`` and its
    Chinese ``label``, as an encoded FeatureCollection; counts from 1 to ``k`` − 1 null and
    left out of ``total`` (:func:`geo.heat.shown`).

    ``neighbour_count`` is the incidents of the micro-grid's Queen neighbours (itself not
    included): a hot spot is a micro-grid in a high-value neighbourhood, and it may have no
    incident of its own, so a page can say which of the two made it hot.

    With no matching incident at all, or a single micro-grid in the scope (a party member's),
    Gi* is undefined: every micro-grid is then not significant with ``gi_z`` and ``p_sim`` null.
    """
    found, counts = counts_and_outlines(
        conn, where, generation=generation, scope=scope, simplify_m=simplify_m
    )
    if not found.codes:
        return collection_bytes({"classes": {}, "total": 0, "generation": generation}, [], [])
    weights = contiguity(conn, generation, found.codes, scope=scope)
    key = ("hotspots", generation, k, dumps(where.describe()), digest(counts))
    return BODIES.get(
        found, key, lambda: _body(found, weights, counts, where, generation=generation, k=k)
    )


def _body(
    found: Outlines,
    weights: Contiguity,
    counts: np.ndarray,
    where: HeatFilter,
    *,
    generation: int,
    k: int,
) -> bytes:
    if counts.sum() > 0 and len(counts) > 1:
        result = gi_star(counts, weights.graph)
        z, p = np.asarray(result.Zs, dtype=np.float64), pseudo_p(result)
    else:
        z = p = np.full(len(counts), np.nan)
    classes = class_index(z, p)
    around = np.rint(weights.graph.lag(counts)).astype(np.int64)  # binary, no self-weight
    hidden = (counts > 0) & (counts < k)
    ends = tails(
        '"count":{},"neighbour_count":{},"gi_z":{},"p_sim":{},{}',
        numbers(counts, hidden),
        numbers(around, (around > 0) & (around < k)),
        numbers(z, ~np.isfinite(z)),
        numbers(p, ~np.isfinite(p)),
        _CLASS_JSON[classes].tolist(),
    )
    tally = np.bincount(classes, minlength=len(KEYS)).tolist()
    members = {
        "classes": {LABELS[key]: n for key, n in zip(KEYS, tally, strict=True)},
        **method(),
        "total": int(counts[~hidden].sum()),
        "generation": generation,
        "filter": where.describe(),
    }
    return collection_bytes(members, found.heads, ends)


def method() -> dict[str, Any]:
    """How the statistic was computed, echoed in every response."""
    return {
        "method": {
            "statistic": "Getis-Ord Gi* (esda.G_Local, star=True)",
            "variable": "count",
            "weights": "Queen contiguity of the micro-grids, binary, self-weight 1",
            "permutations": PERMUTATIONS,
            "seed": SEED,
            "p_sim": "one-sided pseudo p in the direction of gi_z, ties counted against",
            "classes": "gi_z > 0 (hot) or < 0 (cold) with p_sim <= 0.01, 0.05, 0.10",
        }
    }


_WARM_LOCK = threading.Lock()
_warmed = False


def warm_up() -> float:
    """Run a tiny Gi* once so that numba compiles esda's kernels; returns the seconds taken.

    Once per process: later calls (several apps in one process, as in the tests) return 0
    at once, and concurrent calls wait for the first instead of compiling side by side.

    The tiny run uses the same dtypes and options as :func:`gi_star`, so the real call finds
    the compiled code. Safe to call from a background thread, and more than once.
    """
    global _warmed
    with _WARM_LOCK:
        if _warmed:
            return 0.0
        seconds = _compile()
        _warmed = True
        return seconds


def _compile() -> float:
    started = time.perf_counter()
    xs, ys = np.divmod(np.arange(16), 4)
    cells = shapely.box(xs, ys, xs + 1, ys + 1)
    graph = build_contiguity([str(i) for i in range(16)], shapely.to_wkb(cells).tolist(), 0).graph
    pseudo_p(gi_star(np.arange(16, dtype=np.float64), graph))
    seconds = time.perf_counter() - started
    log.info("Gi* warm-up (numba compilation) took %.1f s", seconds)
    return seconds
