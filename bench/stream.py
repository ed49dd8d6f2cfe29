"""P8 commit → Server-Sent Events latency against a raw ``LISTEN`` client.

A sender commits ``SELECT pg_notify('incidents', …)`` (what intake and import do) carrying its
send time; the latency is the time from just before ``COMMIT`` to the moment a client has
the event. With 1 and with 200 SSE clients on ``/api/v1/stream`` (all in this process, one
asyncio loop), p50 over every client and event ÷ p50 of one raw psycopg ``LISTEN`` connection
receiving the same notifications (a raw client per SSE client is out of reach: the embedded
server allows 100 connections).

The SSE clients are as lean as the raw one: a line read per frame and ``json.loads`` of its
``data`` line, as libpq hands psycopg a notification. Through httpx (``aiter_lines`` over
httpcore and h11) a frame cost the bench ~80 µs of CPU against ~25-45 µs (200 local clients,
30 frames each), so with 200 clients on one loop about 16 ms of every notification's
delivery was the bench's own parsing, which the raw baseline's single client does not pay.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import httpx
import psycopg

from bench.common import Result, auth_headers, libpq_url, ms, p50
from bench.context import Context
from cases.live import CHANNEL

GAP_S = 0.05


async def _sse_client(
    base: str, headers: dict[str, str], ready: asyncio.Event, out: list[float], n: int
) -> None:
    url = httpx.URL(base)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    fields = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"GET /api/v1/stream HTTP/1.1\r\nHost: {url.host}\r\n{fields}"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"/api/v1/stream answered {status!r}")
    seen = 0
    try:
        # chunked transfer: each frame is one chunk, so its lines arrive whole; the chunk-size
        # lines and the response headers match neither prefix
        while line := await reader.readline():
            if line.startswith(b": connected"):
                ready.set()
            elif line.startswith(b"data:"):
                message = json.loads(line[5:])
                if message.get("kind") == "bench":
                    out.append(time.perf_counter() - message["t"])
                    seen += 1
                    if seen == n:
                        return
    finally:
        writer.close()


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


def _wait_until_idle(pid: int, limit_s: float = 120.0) -> None:
    """Wait until process ``pid`` has used under 5 % of a core for a second. A service just
    started compiles esda's Gi* kernels on a thread for ~15 s (more on a busy machine), and
    that thread holds the GIL its event loop needs: run alone (``--only P8``), the measure
    would time the warm-up, which a full run is long past when it gets here."""
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_s() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    deadline = time.monotonic() + limit_s
    before = cpu_s()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_s()
        if now - before < 0.05:
            return
        before = now


def measure(ctx: Context) -> list[Result]:
    n = ctx.sizes.sse_events
    results = []
    _wait_until_idle(ctx.service.pid)
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
