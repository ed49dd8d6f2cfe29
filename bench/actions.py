"""P11: one action on a case (``POST /api/v1/incidents/{code}/actions``, ``accept``) p50 ÷
(bare FastAPI POST p50 + the raw ``UPDATE`` and trail ``INSERT`` it wraps, in one transaction
on a plain psycopg connection).

The cases are fresh ones written by the raw ``INSERT`` of P4 (status reported, version 1), each
accepted once; the service's share on top of the raw statements is the lock with the scope
rule, the checks, the step deadline on the working calendar, the audit row, the ``NOTIFY`` and
the incident view it answers with. Requests go one after another over one keep-alive
connection, the three taken in turns (action, raw, bare, action …) so that the load of a shared
machine falls on all three alike.
"""

from __future__ import annotations

import uuid

from bench.common import Result, client, in_turns, ms, p50
from bench.context import Context
from bench.lookups import RAW_INSERT, _generation

RAW_UPDATE = """
UPDATE incident SET status = 'accepted', version = version + 1,
       step_due_at = now() + interval '2 hours'
WHERE code = %(code)s AND version = 1
RETURNING id, reported_at
"""
RAW_EVENT = """
INSERT INTO incident_event (incident_id, incident_reported_at, actor, kind, action, from_status,
                            to_status)
VALUES (%(id)s, %(reported_at)s, 'bench', 'action', 'accept', 'reported', 'accepted')
"""


def _cases(ctx: Context, prefix: str, n: int) -> list[str]:
    """``n`` new reported cases (plus the warm-up's), by the raw INSERT of P4."""
    g = _generation(ctx)
    xs, ys = ctx.probe_x, ctx.probe_y
    codes = [f"{prefix}{i:06d}" for i in range(n + 5)]
    with ctx.raw() as conn:
        for i, code in enumerate(codes):
            params = {"code": code, "lon": float(xs[i % len(xs)]), "lat": float(ys[i % len(ys)]),
                      "g": g, "category": "0101"}  # fmt: skip
            conn.execute(RAW_INSERT, params).fetchone()
    return codes


def measure(ctx: Context) -> list[Result]:
    n = ctx.sizes.requests
    run = uuid.uuid4().hex[:8]
    served, raws = _cases(ctx, f"A{run}", n), _cases(ctx, f"B{run}", n)
    with (
        client(ctx.service.base, ctx.url) as http,
        client(ctx.bare.base, ctx.url) as bare_http,
        ctx.raw(autocommit=False) as conn,
    ):

        def post(code: str, body: dict[str, object], expected: int) -> None:
            response = http.post(
                f"/api/v1/incidents/{code}/actions", json=body, headers={"If-Match": '"1"'}
            )
            if response.status_code != expected:
                raise RuntimeError(f"{code} answered {response.status_code}: {response.text}")

        def one(i: int) -> None:
            post(served[i], {"action": "accept"}, 200)

        def refused(i: int) -> None:  # 422 on the body: authentication and validation only
            post(served[i], {"action": 5}, 422)

        def missing(i: int) -> None:  # 404: the thread hop, the checkout and the lock too
            post(f"NONE{run}", {"action": "accept"}, 404)

        def raw_one(i: int) -> None:
            with conn.transaction():
                row = conn.execute(RAW_UPDATE, {"code": raws[i]}).fetchone()
                assert row is not None
                conn.execute(RAW_EVENT, {"id": row[0], "reported_at": row[1]})

        def bare_one(i: int) -> None:
            bare_http.post("/bare", json={"action": "accept"}).raise_for_status()

        service, raw, bare, early, locked = in_turns([one, raw_one, bare_one, refused, missing], n)
    return [
        Result(
            "P11",
            "action POST p50 ÷ (bare FastAPI POST p50 + raw UPDATE and trail INSERT p50)",
            ctx.scale,
            {
                "action p50": ms(p50(service)),
                "bare p50": ms(p50(bare)),
                "raw p50": ms(p50(raw)),
                "422 before the database p50": ms(p50(early)),
                "404 after the lock p50": ms(p50(locked)),
            },
            p50(service) / (p50(bare) + p50(raw)),
            ("<=", 2.0),
            note=f'{n} sequential accepts of fresh cases, If-Match "1", in turns with the raw '
            "statements, the bare POST, a body refused with 422 and an unknown case's 404 "
            "(where the time goes: bench/notes.md)",
        )
    ]
