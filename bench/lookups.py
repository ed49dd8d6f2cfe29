"""P1 locate and P4 intake: one request at a time against the bare framework and raw SQL.

P1: ``GET /api/v1/locate`` p50 ÷ (bare FastAPI p50 + the raw lookup the endpoint answers with,
``geo/sql/locate_full.sql``: cover, chain and people, the current generation resolved in it, on
a plain psycopg connection). P4: ``POST /api/v1/incidents`` p50 ÷ (bare FastAPI POST p50 +
one raw ``INSERT … SELECT`` that places the point in its micro-grid, with its chain and the
category's department). Requests go one after another over one keep-alive connection; P1's
four (the endpoint, the raw statement, the bare GET and a request refused with 422 before the
database) are taken in turns, so that the load of a shared machine falls on all alike.
"""

from __future__ import annotations

import uuid

from bench.common import (
    Result,
    client,
    in_turns,
    ms,
    p50,
    psycopg_sql,
    statement_params,
    timings,
)
from bench.context import Context

RAW_INSERT = """
INSERT INTO incident (code, category_code, description, reported_at, datum, raw_lon, raw_lat,
    geom, status, generation_id, micro_grid_id, grid_id, village_id, township_id, queue_area_id,
    assignment, department_id, deadline_at, source)
SELECT %(code)s, c.code, 'raw', now(), 'cgcs2000', %(lon)s, %(lat)s, p.geom, 'reported', %(g)s,
       m.id, g.id, v.id, t.id, m.id, 'covered', c.department_id,
       now() + make_interval(hours => c.time_limit_hours), 'bench'
FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490) AS geom) p
JOIN area m ON m.level = 'micro_grid' AND m.generation_low <= %(g)s
     AND (m.generation_high IS NULL OR m.generation_high >= %(g)s) AND ST_Intersects(m.geom, p.geom)
JOIN area g ON g.id = m.parent_id
JOIN area v ON v.id = g.parent_id
JOIN area t ON t.id = v.parent_id
JOIN category c ON c.code = %(category)s
ORDER BY m.code
LIMIT 1
RETURNING id
"""


def _generation(ctx: Context) -> int:
    with ctx.raw() as conn:
        row = conn.execute("SELECT max(id) FROM generation").fetchone()
    assert row is not None
    return int(row[0])


def _bare(ctx: Context, method: str, n: int) -> list[float]:
    with client(ctx.bare.base, ctx.url) as http:
        if method == "GET":
            return timings(lambda i: http.get("/bare").raise_for_status(), n)
        body = {"lon": 110.0, "lat": 40.4, "datum": "cgcs2000", "category": "0101"}
        return timings(lambda i: http.post("/bare", json=body).raise_for_status(), n)


def locate(ctx: Context) -> list[Result]:
    n = ctx.sizes.requests
    xs, ys = ctx.probe_x, ctx.probe_y
    k = len(xs)
    sql = psycopg_sql("locate_full")
    with (
        client(ctx.service.base, ctx.url) as http,
        client(ctx.bare.base, ctx.url) as bare_http,
        ctx.raw() as conn,
    ):

        def one(i: int) -> None:
            params = {"lon": xs[i % k], "lat": ys[i % k], "datum": "cgcs2000"}
            http.get("/api/v1/locate", params=params).raise_for_status()

        def refused(i: int) -> None:  # 422 on the datum: authentication and parameters only
            params = {"lon": xs[i % k], "lat": ys[i % k], "datum": "beijing54"}
            response = http.get("/api/v1/locate", params=params)
            if response.status_code != 422:
                raise RuntimeError(f"locate answered {response.status_code}: {response.text}")

        def raw_one(i: int) -> None:
            params = statement_params("locate_full", {"lon": xs[i % k], "lat": ys[i % k]})
            conn.execute(sql, params).fetchall()

        def bare_one(i: int) -> None:
            bare_http.get("/bare").raise_for_status()

        service, raw, bare, early = in_turns([one, raw_one, bare_one, refused], n)
    base = p50(bare) + p50(raw)
    return [
        Result(
            "P1",
            "locate endpoint p50 ÷ (bare FastAPI p50 + raw PostGIS lookup p50)",
            ctx.scale,
            {
                "locate p50": ms(p50(service)),
                "bare p50": ms(p50(bare)),
                "raw p50": ms(p50(raw)),
                "422 before the database p50": ms(p50(early)),
            },
            p50(service) / base,
            ("<=", 1.2),
            note=f"{n} sequential requests at points inside micro-grids, in turns with the raw "
            "statement, the bare GET and a datum refused with 422 (where the time goes: "
            "bench/notes.md)",
        )
    ]


def intake(ctx: Context) -> list[Result]:
    n = ctx.sizes.requests
    xs, ys = ctx.probe_x, ctx.probe_y
    k = len(xs)
    g = _generation(ctx)
    run = uuid.uuid4().hex[:8]
    with client(ctx.service.base, ctx.url) as http:

        def one(i: int) -> None:
            body = {
                "lon": float(xs[i % k]),
                "lat": float(ys[i % k]),
                "datum": "cgcs2000",
                "category": "0101",
                "description": "基准测试",
                "reporter": {"name": "测试", "phone": "13800000000"},
            }
            key = {"Idempotency-Key": f"bench-{run}-{i}"}
            response = http.post("/api/v1/incidents", json=body, headers=key)
            if response.status_code != 201:
                raise RuntimeError(f"intake answered {response.status_code}: {response.text}")

        service = timings(one, n)
    with ctx.raw() as conn:
        written: list[int] = []

        def raw_one(i: int) -> None:
            params = {"code": f"R{run}{i:08d}", "lon": float(xs[i % k]),
                      "lat": float(ys[i % k]), "g": g, "category": "0101"}  # fmt: skip
            written.append(conn.execute(RAW_INSERT, params).fetchone()[0])  # type: ignore[index]

        raw = timings(raw_one, n)
        # its own rows only: a kept database (the scale run's) holds P11's raw cases, which
        # have trails
        conn.execute("DELETE FROM incident WHERE id = ANY(%s)", (written,))
    bare = _bare(ctx, "POST", n)
    base = p50(bare) + p50(raw)
    return [
        Result(
            "P4",
            "intake POST p50 ÷ (bare FastAPI POST p50 + raw INSERT … SELECT p50)",
            ctx.scale,
            {"intake p50": ms(p50(service)), "bare p50": ms(p50(bare)), "raw p50": ms(p50(raw))},
            p50(service) / base,
            ("<=", 1.5),
            note=f"{n} sequential reports, each with a new Idempotency-Key",
        )
    ]
