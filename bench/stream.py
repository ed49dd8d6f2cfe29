"""P8 commit → Server-Sent Events latency against a raw ``LISTEN`` client.

A sender commits ``SELECT pg_notify('incidents', …)`` (what intake and import do) carrying its
send time; the latency is the time from just before ``COMMIT`` to the moment a client has
the event. With 1 and with 200 SSE clients on ``/api/v1/stream`` (all in this process, one
asyncio loop), p50 over every client and event ÷ p50 of one raw psycopg ``LISTEN`` connection
receiving the same notifications (a raw client per SSE client is out of reach: the embedded
server allows 100 connections).
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import psycopg

from bench.common import Result, auth_headers, libpq_url, ms, p50
from bench.context import Context

CHANNEL = "incidents"
GAP_S = 0.05


async def _sse_client(
    base: str, headers: dict[str, str], ready: asyncio.Event, out: list[float], n: int
) -> None:
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=None) as c,
        c.stream("GET", "/api/v1/stream") as response,
    ):
        seen = 0
        async for line in response.aiter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("kind") == "bench":
                    out.append(time.perf_counter() - message["t"])
                    seen += 1
                    if seen == n:
                        return


async def _raw_listener(dsn: str, ready: asyncio.Event, out: list[float], n: int) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        ready.set()
        async for notify in conn.notifies():
            message = json.loads(notify.payload)
            if message.get("kind") == "bench":
                out.append(time.perf_counter() - message["t"])
                if len(out) == n:
                    return


async def _send(dsn: str, n: int) -> None:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        for i in range(n):
            await asyncio.sleep(GAP_S)
            await conn.execute(
                "SELECT pg_notify(%s, %s)",
                (CHANNEL, json.dumps({"kind": "bench", "i": i, "t": time.perf_counter()})),
            )
            await conn.commit()


async def _sse_run(ctx: Context, subscribers: int, n: int) -> list[float]:
    headers = auth_headers(ctx.url)
    out: list[float] = []
    events = [asyncio.Event() for _ in range(subscribers)]
    clients = [
        asyncio.create_task(_sse_client(ctx.service.base, headers, e, out, n)) for e in events
    ]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 60)
    await asyncio.sleep(0.5)  # every subscription registered with the broadcaster
    await _send(libpq_url(ctx.url), n)
    await asyncio.wait_for(asyncio.gather(*clients), 60)
    return out


async def _raw_run(ctx: Context, n: int) -> list[float]:
    out: list[float] = []
    ready = asyncio.Event()
    listener = asyncio.create_task(_raw_listener(libpq_url(ctx.url), ready, out, n))
    await asyncio.wait_for(ready.wait(), 30)
    await _send(libpq_url(ctx.url), n)
    await asyncio.wait_for(listener, 60)
    return out


def measure(ctx: Context) -> list[Result]:
    n = ctx.sizes.sse_events
    results = []
    raw = asyncio.run(_raw_run(ctx, n))
    for subscribers in ctx.sizes.sse_subscribers:
        sse = asyncio.run(_sse_run(ctx, subscribers, n))
        results.append(
            Result(
                f"P8 ×{subscribers}",
                f"commit → SSE client latency p50 ÷ raw LISTEN client, {subscribers} subscriber(s)",
                ctx.scale,
                {"SSE p50": ms(p50(sse)), "raw LISTEN p50": ms(p50(raw))},
                p50(sse) / p50(raw),
                ("<=", 1.5),
                note=f"{n} notifications {GAP_S * 1000:.0f} ms apart; p50 over all "
                f"{len(sse):,} deliveries",
            )
        )
    return results
