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
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette import types as asgi
from starlette.responses import Response

from api.auth import Reader
from api.broadcast import Broadcaster, Notice, Subscriber
from cases import live
from geo.scope import Scope

router = APIRouter(tags=["stream"])

CONNECTED = b"retry: 2000\nid: live\n: connected\n\n"
#: What a stream that reconnects (it sends ``Last-Event-ID``) is told first.
RECONNECTED = Notice.of(live.reset("reconnected")).frame


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
) -> Response:
    broadcaster: Broadcaster = request.app.state.broadcaster
    first = CONNECTED + RECONNECTED if last_event_id is not None else CONNECTED
    return EventStream(broadcaster, area, principal.scope, first)


class EventStream(Response):
    """A subscriber's frames, each batch written the moment it is queued, as one ASGI message
    straight to the server: no async generator and no per-chunk machinery. ``first`` is what
    the stream opens with.

    As in Starlette's ``StreamingResponse``, a writer task sends while the request's own task
    waits for the client to go (``http.disconnect``; under ASGI < 2.4 the server drops writes
    to a closed connection silently, so only this notices). The writer is a task of its own so
    that waking it for a frame resumes two coroutines, not the twenty of the middleware chain
    the request's task runs in: with hundreds of streams that resumption cost more than the
    write.
    """

    media_type = "text/event-stream"

    def __init__(
        self, broadcaster: Broadcaster, area: str | None, scope: Scope, first: bytes
    ) -> None:
        # as StreamingResponse sets itself up: no body, so no Content-Length
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._broadcaster, self._area, self._scope = broadcaster, area, scope
        self._first = first

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        async with self._broadcaster.subscribe(self._area, self._scope) as subscriber:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            writer = asyncio.create_task(_write(send, subscriber, self._first))
            listener = asyncio.create_task(_until_disconnect(receive))
            try:
                await asyncio.wait((writer, listener), return_when=asyncio.FIRST_COMPLETED)
            finally:
                writer.cancel()
                listener.cancel()
            if writer.done() and not writer.cancelled():
                writer.result()  # the writer's failure, if any, is the request's
        if self.background is not None:
            await self.background()


async def _write(send: asgi.Send, subscriber: Subscriber, first: bytes) -> None:
    """``first``, then each batch of the subscriber's frames as one body message."""
    chunk: bytes | None = first
    try:
        while chunk is not None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            chunk = await subscriber.frames()
    except OSError:  # ASGI 2.4: the client went
        pass


async def _until_disconnect(receive: asgi.Receive) -> None:
    """Return when the client has gone (the request's body, if any, is read and dropped)."""
    while (await receive())["type"] != "http.disconnect":
        pass
