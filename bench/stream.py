"""P8 commit → Server-Sent Events latency against a raw ``LISTEN`` client.

A sender commits ``SELECT pg_notify('incidents', …)`` (what intake and import do) carrying its
send time; the latency is the time from just before ``COMMIT`` to the moment a client has
the event. With 1, 200 and 1,000 SSE clients on ``/api/v1/stream``, p50 over every client and
event ÷ p50 of one raw psycopg ``LISTEN`` connection receiving the same notifications (a raw
client per SSE client is out of reach: the embedded server allows 100 connections).

The SSE clients cost the service's side nothing: plain sockets read by one ``epoll`` loop on
a thread of this process, each read stamped with the kernel's receive time (``SO_TIMESTAMPNS``),
the moment the service's write landed in the client's socket, and parsed only after the run.
A client that timed its frames itself would time its own parsing: through httpx a frame cost
the bench ~80 µs of CPU, through a line reader per asyncio stream 25-45 µs (200 local
clients, 30 frames each), so with 1,000 clients on one loop tens of milliseconds of every
notification's delivery would have been the bench's own work, which the raw baseline's single
client does not pay. (The raw client's own parsing of each notification stays in the
baseline.)
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import struct
import threading
import time
from pathlib import Path

import httpx
import psycopg

from bench.common import Result, auth_headers, libpq_url, ms, p50
from bench.context import Context
from cases.live import CHANNEL

GAP_S = 0.05
#: ``SO_TIMESTAMPNS`` (Linux; the socket module does not name it): each ``recvmsg`` carries
#: the receive time of its data as a ``timespec`` in the realtime clock.
SO_TIMESTAMPNS = 35
_STAMP = socket.CMSG_SPACE(struct.calcsize("qq"))


class _SseClients:
    """``count`` open streams and the kernel receive times of what each got."""

    def __init__(self, base: str, headers: dict[str, str], count: int) -> None:
        url = httpx.URL(base)
        fields = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (
            f"GET /api/v1/stream HTTP/1.1\r\nHost: {url.host}\r\n{fields}"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
        self.sockets: list[socket.socket] = []
        for _ in range(count):
            sock = socket.create_connection((url.host, url.port))
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.sendall(request)
            sock.setblocking(False)
            self.sockets.append(sock)
        #: per socket: (kernel receive time, bytes) of each read
        self.reads: dict[int, list[tuple[float, bytes]]] = {s.fileno(): [] for s in self.sockets}
        self.connected = threading.Event()
        self.stop = threading.Event()

    def read(self, events: int) -> None:
        """Read every stream until each has ``events`` bench events (or :attr:`stop`)."""
        poller = select.epoll()
        by_fd = {s.fileno(): s for s in self.sockets}
        for fd in by_fd:
            poller.register(fd, select.EPOLLIN)
        waiting = set(by_fd)  # not yet connected
        seen = dict.fromkeys(by_fd, 0)
        done = 0
        while done < len(by_fd) and not self.stop.is_set():
            for fd, _ in poller.poll(0.5):
                data, ancillary, _, _ = by_fd[fd].recvmsg(65536, _STAMP)
                if not data:
                    raise RuntimeError("/api/v1/stream closed a stream")
                if ancillary:
                    sec, nsec = struct.unpack("qq", ancillary[0][2])
                    stamp = sec + nsec / 1e9
                else:  # a segment the kernel did not stamp (rare): the time read instead
                    stamp = time.time()
                self.reads[fd].append((stamp, data))
                if len(self.reads[fd]) == 1 and b" 200 " not in data.split(b"\r\n", 1)[0]:
                    raise RuntimeError(f"/api/v1/stream answered {data[:80]!r}")
                if fd in waiting and b": connected" in data:
                    waiting.discard(fd)
                    if not waiting:
                        self.connected.set()
                before = seen[fd]
                seen[fd] += data.count(b'"kind": "bench"')
                done += before < events <= seen[fd]
        poller.close()

    def latencies(self) -> list[float]:
        """Receive time − send time of every bench event (a frame split over two reads has
        the later one's time)."""
        out = []
        for reads in self.reads.values():
            pending = b""
            for stamp, data in reads:
                *lines, pending = (pending + data).split(b"\n")
                for line in lines:
                    if line.startswith(b"data:"):
                        message = json.loads(line[5:])
                        if message.get("kind") == "bench":
                            out.append(stamp - message["t"])
        return out

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


async def _raw_listener(dsn: str, ready: asyncio.Event, out: list[float], n: int) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        ready.set()
        async for notify in conn.notifies():
            message = json.loads(notify.payload)
            if message.get("kind") == "bench":
                out.append(time.time() - message["t"])
                if len(out) == n:
                    return


async def _send(dsn: str, n: int) -> None:
    """``n`` notifications ``GAP_S`` apart, each carrying its send time (the realtime clock,
    which the kernel's receive stamps use too)."""
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        for i in range(n):
            await asyncio.sleep(GAP_S)
            await conn.execute(
                "SELECT pg_notify(%s, %s)",
                (CHANNEL, json.dumps({"kind": "bench", "i": i, "t": time.time()})),
            )
            await conn.commit()


def _sse_run(ctx: Context, subscribers: int, n: int) -> tuple[list[float], float]:
    """The latencies of every delivery, and the CPU seconds the service's event loop ran while
    it sent them."""
    clients = _SseClients(ctx.service.base, auth_headers(ctx.url), subscribers)
    failed: list[BaseException] = []

    def read() -> None:
        try:
            clients.read(n)
        except BaseException as exc:
            failed.append(exc)
            clients.connected.set()

    reader = threading.Thread(target=read, name="sse-clients", daemon=True)
    reader.start()
    try:
        if not clients.connected.wait(120):
            raise RuntimeError(f"{subscribers} streams did not all open within 120 s")
        time.sleep(0.5)  # every subscription registered with the broadcaster
        if not failed:
            cpu = _loop_cpu_s(ctx.service.pid)
            asyncio.run(_send(libpq_url(ctx.url), n))
            reader.join(60)
            cpu = _loop_cpu_s(ctx.service.pid) - cpu
        if failed:
            raise failed[0]
        if reader.is_alive():
            raise RuntimeError(f"not every one of {subscribers} streams had {n} events")
    finally:
        clients.stop.set()
        reader.join()
        clients.close()
    return clients.latencies(), cpu


async def _raw_run(ctx: Context, n: int) -> list[float]:
    out: list[float] = []
    ready = asyncio.Event()
    listener = asyncio.create_task(_raw_listener(libpq_url(ctx.url), ready, out, n))
    await asyncio.wait_for(ready.wait(), 30)
    await _send(libpq_url(ctx.url), n)
    await asyncio.wait_for(listener, 60)
    return out


def _cpu_s(pid: int) -> float:
    """CPU seconds process ``pid`` has used (user + system, the kernel's writes included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _loop_cpu_s(pid: int) -> float:
    """CPU seconds the main thread of ``pid`` (the service's event loop) has run, to the
    nanosecond (``/proc/PID/schedstat``; ``stat`` counts in 10 ms ticks)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def _wait_until_idle(pid: int, limit_s: float = 120.0) -> None:
    """Wait until process ``pid`` has used under 5 % of a core for a second. A service just
    started compiles esda's Gi* kernels on a thread for ~15 s (more on a busy machine), and
    that thread holds the GIL its event loop needs: run alone (``--only P8``), the measure
    would time the warm-up, which a full run is long past when it gets here."""
    deadline = time.monotonic() + limit_s
    before = _cpu_s(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _cpu_s(pid)
        if now - before < 0.05:
            return
        before = now


def measure(ctx: Context) -> list[Result]:
    n = ctx.sizes.sse_events
    results = []
    _wait_until_idle(ctx.service.pid)
    for subscribers in ctx.sizes.sse_subscribers:
        # the baseline right before each row: on a shared machine the load drifts
        raw = asyncio.run(_raw_run(ctx, n))
        sse, cpu = _sse_run(ctx, subscribers, n)
        results.append(
            Result(
                f"P8 ×{subscribers}",
                f"commit → SSE client latency p50 ÷ raw LISTEN client, {subscribers} subscriber(s)",
                ctx.scale,
                {
                    "SSE p50": ms(p50(sse)),
                    "raw LISTEN p50": ms(p50(raw)),
                    "event loop CPU": f"{cpu * 1e6 / len(sse):.1f} µs per delivery",
                },
                p50(sse) / p50(raw),
                ("<=", 1.5),
                note=f"{n} notifications {GAP_S * 1000:.0f} ms apart; p50 over all "
                f"{len(sse):,} deliveries",
            )
        )
    return results
