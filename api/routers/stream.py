"""``GET /stream``: Server-Sent Events of new and changed incidents, inside the caller's scope.

The events and their shapes are :mod:`cases.live`'s (``created``, ``changed``, ``import``,
``reset``); they carry no personal data. A caller receives only those of incidents inside
their scope, as :class:`api.broadcast.Subscriber` filters them. An ``import`` event tells
every caller to reload; its row count is the whole banner's, so callers with a narrower scope
get it without.

A stream that comes back is told to ``reset``: the first frame gives the stream an id, which
a browser's ``EventSource`` sends back as ``Last-Event-ID`` when it reconnects (after the
process serving it died, say, and the load balancer sent it to another): what happened while
it was away is not replayed, so the page reloads what it shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.auth import Reader
from api.broadcast import Broadcaster, Notice
from cases import live
from geo.scope import Scope

router = APIRouter(tags=["stream"])

HEARTBEAT_S = 15.0
CONNECTED = b"retry: 2000\nid: live\n: connected\n\n"
#: What a stream that reconnects (it sends ``Last-Event-ID``) is told first.
RECONNECTED = Notice.of(live.reset("reconnected")).frame
HEARTBEAT = b": heartbeat\n\n"


@router.get(
    "/stream",
    summary="实时事件流（Server-Sent Events）：新上报与状态变化",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    principal: Reader,
    area: Annotated[str | None, Query(pattern=r"^\d+$", description="Area code prefix.")] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Sent by a reconnecting stream.")
    ] = None,
) -> StreamingResponse:
    broadcaster: Broadcaster = request.app.state.broadcaster
    return StreamingResponse(
        _events(broadcaster, area, principal.scope, reconnected=last_event_id is not None),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    broadcaster: Broadcaster, area: str | None, scope: Scope, *, reconnected: bool = False
) -> AsyncIterator[bytes]:
    """The stream's frames. No polling for disconnection: Starlette cancels this generator when
    the client goes (ASGI < 2.4), or the next write fails (ASGI 2.4), heartbeats included."""
    async with broadcaster.subscribe(area, scope) as subscriber:
        yield CONNECTED + RECONNECTED if reconnected else CONNECTED
        while True:
            try:
                async with asyncio.timeout(HEARTBEAT_S):
                    notice = await subscriber.queue.get()
            except TimeoutError:
                yield HEARTBEAT
                continue
            frames = [notice.frame_for(scope)]
            while not subscriber.queue.empty():  # a burst goes out as one write
                frames.append(subscriber.queue.get_nowait().frame_for(scope))
            yield b"".join(frames)
