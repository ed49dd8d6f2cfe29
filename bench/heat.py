"""P6 heat aggregation and P7 Gi* hotspots, each against the bare work it wraps.

P6: ``GET /api/v1/heat/areas?category=01`` p50 ÷ the raw statement it runs
(``geo/sql/heat_counts.sql``, every row fetched on a plain psycopg connection) p50.
P7: ``GET /api/v1/heat/hotspots?category=01`` p50, warm (the contiguity graph built and numba's
kernels compiled by an untimed first call) ÷ a direct ``esda.G_Local`` call with the same
settings on the same counts and graph, warm, p50.

Each also runs with a filter not seen before on every request (``to`` a different day in
2099: the same counts, but nothing kept for that filter), the path of a map whose counts have
just changed: its response is built again (classes, Gi*, text) where a repeat request reuses
the kept one (``geo.heat.BODIES``).
"""

from __future__ import annotations

import numpy as np

from bench.common import Result, client, ms, p50, psycopg_sql, statement_params, timings
from bench.context import Context
from geo import hotspots
from geo.heat import HeatFilter

CATEGORY = "01"


def _raw_sql(name: str) -> str:
    return psycopg_sql(name)


def _params(g: int) -> dict[str, object]:
    return statement_params("heat_counts", {**HeatFilter(CATEGORY).params(), "g": g})


def _generation(ctx: Context) -> int:
    with ctx.raw() as conn:
        row = conn.execute("SELECT max(id) FROM generation").fetchone()
    assert row is not None
    return int(row[0])


def _unseen(i: int) -> dict[str, str]:
    """A filter no earlier request used, with the same counts as none."""
    return {"category": CATEGORY, "to": f"2099-01-01T00:00:00.{i:06d}+08:00"}


def heat_areas(ctx: Context) -> list[Result]:
    n = ctx.sizes.heavy_requests
    g = _generation(ctx)
    with client(ctx.service.base, ctx.url) as http:
        service = timings(
            lambda i: http.get(
                "/api/v1/heat/areas", params={"category": CATEGORY}
            ).raise_for_status(),
            n,
            warm=1,
        )
        built = timings(
            lambda i: http.get("/api/v1/heat/areas", params=_unseen(i)).raise_for_status(),
            n,
            warm=1,
        )
    sql = _raw_sql("heat_counts")
    with ctx.raw() as conn:
        raw = timings(lambda i: conn.execute(sql, _params(g)).fetchall(), n, warm=1)
    return [
        Result(
            "P6",
            "heat aggregation endpoint p50 ÷ the raw SQL it wraps p50",
            ctx.scale,
            {"/heat/areas p50": ms(p50(service)), "heat_counts.sql p50": ms(p50(raw))},
            p50(service) / p50(raw),
            ("<=", 1.3),
            note=f"category {CATEGORY}, {n} requests after one warm-up",
        ),
        Result(
            "P6",
            "heat aggregation endpoint, a filter not seen before, p50 ÷ the raw SQL p50",
            ctx.scale,
            {"/heat/areas unseen p50": ms(p50(built)), "heat_counts.sql p50": ms(p50(raw))},
            p50(built) / p50(raw),
            ("<=", 2.0),
            note="each request's response built again (breaks, text); none kept",
        ),
    ]


def gi_star(ctx: Context) -> list[Result]:
    n = ctx.sizes.heavy_requests
    g = _generation(ctx)
    with client(ctx.service.base, ctx.url) as http:
        service = timings(
            lambda i: http.get(
                "/api/v1/heat/hotspots", params={"category": CATEGORY}
            ).raise_for_status(),
            n,
            warm=1,
        )
        built = timings(
            lambda i: http.get("/api/v1/heat/hotspots", params=_unseen(i)).raise_for_status(),
            n,
            warm=1,
        )
    with ctx.raw() as conn:
        rows = conn.execute(_raw_sql("heat_counts"), _params(g)).fetchall()
    counts = np.array([r[2] for r in rows], dtype=np.float64)
    with ctx.engine.connect() as conn:
        graph = hotspots.contiguity(conn, g, [r[1] for r in rows]).graph
    esda = timings(lambda i: hotspots.gi_star(counts, graph), n, warm=1)
    return [
        Result(
            "P7",
            "Gi* hotspot endpoint p50 ÷ a direct esda G_Local call p50, warm",
            ctx.scale,
            {"/heat/hotspots p50": ms(p50(service)), "esda G_Local p50": ms(p50(esda))},
            p50(service) / p50(esda),
            ("<=", 1.2),
            note=f"{len(rows):,} micro-grids, {hotspots.PERMUTATIONS} permutations, "
            f"{n} requests after one warm-up",
        ),
        Result(
            "P7",
            "Gi* hotspot endpoint, a filter not seen before, p50 ÷ a direct esda call p50",
            ctx.scale,
            {"/heat/hotspots unseen p50": ms(p50(built)), "esda G_Local p50": ms(p50(esda))},
            p50(built) / p50(esda),
            ("<=", 1.3),
            note="each request runs Gi* again; none kept",
        ),
    ]
